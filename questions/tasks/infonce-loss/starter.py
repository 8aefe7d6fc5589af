"""infonce-loss: implement InfoNCELoss(temperature=0.5, reduction="mean"), the NT-Xent
contrastive loss of SimCLR.

z1, z2 (N, D): two views of N samples -> the loss of each pair (N,) for
reduction="none", or their mean. Normalise the 2N embeddings, similarities divided by
the temperature, each embedding's positive is its other view, itself is left out.

Judge your solution with:

    quizzer judge submissions/infonce_loss.py --task infonce-loss
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class InfoNCELoss(nn.Module):
    def __init__(self, temperature=0.5, reduction="mean"):
        super().__init__()
        self.temperature = temperature
        self.reduction = reduction

    def forward(self, z1, z2):
        # TODO: the (2N, 2N) similarity matrix of the normalised embeddings / temperature,
        # itself masked out, a cross-entropy towards each row's positive, then average the
        # two directions of each pair
        raise NotImplementedError

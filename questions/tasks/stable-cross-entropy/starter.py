"""stable-cross-entropy: implement CrossEntropyLoss(ignore_index=-100,
label_smoothing=0.0, reduction="mean") without the built-in losses or softmaxes.

logits (N, C) or (N, C, d) and integer targets (N,) or (N, d) -> the loss, as
nn.CrossEntropyLoss computes it; finite even for logits of +-1000.

Judge your solution with:

    quizzer judge submissions/stable_cross_entropy.py --task stable-cross-entropy
"""

import torch
import torch.nn as nn


class CrossEntropyLoss(nn.Module):
    def __init__(self, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        super().__init__()
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.reduction = reduction

    def forward(self, logits, target):
        # TODO: a numerically stable log-softmax over dim 1, then the loss per target
        # (ignored targets count for nothing), then the reduction
        raise NotImplementedError

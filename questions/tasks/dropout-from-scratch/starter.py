"""dropout-from-scratch: implement Dropout(p=0.5) without nn.Dropout or F.dropout.
Train mode: zero elements with probability p, scale the rest by 1 / (1 - p). Eval mode:
the identity.

Judge your solution with:

    quizzer judge submissions/dropout_from_scratch.py --task dropout-from-scratch
"""

import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        # TODO: a fresh random mask in training mode, the identity in eval mode
        raise NotImplementedError

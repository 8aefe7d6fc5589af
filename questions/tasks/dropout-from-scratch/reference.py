"""Reference solution for dropout-from-scratch: inverted dropout."""

import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            # Everything is dropped. The formula below would divide 0 by 0 (NaN);
            # nn.Dropout(1.0) returns zeros, and so does this, with zero gradients.
            return x * 0
        mask = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * mask / (1 - self.p)

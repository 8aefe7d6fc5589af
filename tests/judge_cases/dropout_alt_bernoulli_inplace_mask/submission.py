import torch
from torch import nn


class Dropout(nn.Module):
    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x):
        if not self.training:
            return x
        # the mask (not the input) is built in place
        mask = x.new_empty(x.shape).bernoulli_(1 - self.p).div_(1 - self.p)
        return x * mask

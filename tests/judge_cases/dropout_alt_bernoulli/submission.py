import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError("p must be in [0, 1)")
        self.p = p

    def forward(self, x):
        if self.training and self.p > 0:
            keep = torch.bernoulli(torch.full_like(x, 1 - self.p))
            return x * keep / (1 - self.p)
        return x

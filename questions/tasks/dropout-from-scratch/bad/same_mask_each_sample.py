import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        mask = (torch.rand(x.shape[-1], device=x.device) >= self.p).to(x.dtype)
        return x * mask / (1 - self.p)

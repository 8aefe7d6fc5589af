"""Known bad: a hand-written global average pool whose backward forgets to divide by
the number of pixels (off by a constant factor of 26 * 26)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class GlobalAvgPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return x.mean(dim=(2, 3))

    @staticmethod
    def backward(ctx, grad):
        b, c, h, w = ctx.shape
        return grad[:, :, None, None].expand(b, c, h, w).clone()


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.fc1 = nn.Linear(32, 10)

    def forward(self, x):
        x = GlobalAvgPool.apply(F.relu(self.conv1(x)))
        return self.fc1(x)

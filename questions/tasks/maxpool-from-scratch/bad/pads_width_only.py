import torch.nn as nn
import torch.nn.functional as F


class MaxPool2d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation

    def forward(self, x):
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        # F.pad reads (left, right, top, bottom) from the last dimension: only W is padded
        x = F.pad(x, (p, p), value=float("-inf"))
        span = d * (k - 1) + 1
        windows = x.unfold(2, span, s).unfold(3, span, s)[..., ::d, ::d]
        return windows.flatten(-2).max(dim=-1).values

import torch.nn as nn
import torch.nn.functional as F


class MaxPool2d(nn.Module):
    # Conv2d's default: nn.MaxPool2d's stride defaults to the kernel size
    def __init__(self, kernel_size, stride=1, padding=0, dilation=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation

    def forward(self, x):
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        x = F.pad(x, (p, p, p, p), value=float("-inf"))
        span = d * (k - 1) + 1
        windows = x.unfold(2, span, s).unfold(3, span, s)[..., ::d, ::d]
        return windows.flatten(-2).max(dim=-1).values

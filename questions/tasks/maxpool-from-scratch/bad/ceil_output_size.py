import math

import torch
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
        h, w = x.shape[-2:]
        k, s, p, d = self.k, self.s, self.p, self.d
        span = d * (k - 1) + 1
        # rounds up: keeps a last, partial window that nn.MaxPool2d drops
        h_out = math.ceil((h + 2 * p - span) / s) + 1
        w_out = math.ceil((w + 2 * p - span) / s) + 1
        x = F.pad(x, (p, p, p, p), value=float("-inf"))
        rows = []
        for i in range(h_out):
            cols = []
            for j in range(w_out):
                window = x[:, :, i * s : i * s + span : d, j * s : j * s + span : d]
                cols.append(window.amax(dim=(-2, -1)))
            rows.append(torch.stack(cols, dim=-1))
        return torch.stack(rows, dim=-2)

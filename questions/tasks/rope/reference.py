"""Reference solution for rope: rotary position embedding in the half-split
("rotate_half") convention of LLaMA and Hugging Face transformers."""

import torch
import torch.nn as nn


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        assert head_dim % 2 == 0
        self.head_dim = head_dim
        self.base = base

    def forward(self, x):
        t, d = x.shape[-2], self.head_dim
        i = torch.arange(d // 2, device=x.device, dtype=x.dtype)
        inv_freq = self.base ** (-2 * i / d)  # theta_i = base^(-2i/D)
        angles = torch.arange(t, device=x.device, dtype=x.dtype)[:, None] * inv_freq  # (T, D/2)
        angles = torch.cat([angles, angles], dim=-1)  # (T, D): pair i is (i, i + D/2)
        return x * angles.cos() + rotate_half(x) * angles.sin()

import torch
import torch.nn as nn


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        self.head_dim = head_dim
        self.base = base

    def forward(self, x):
        t, d = x.shape[-2], self.head_dim
        # base^(-i/D) for i = 0 .. D/2 - 1: the exponent should be 2i/D
        inv_freq = 1.0 / self.base ** (torch.arange(d // 2, device=x.device, dtype=x.dtype) / d)
        angles = torch.arange(t, device=x.device, dtype=x.dtype)[:, None] * inv_freq
        angles = torch.cat([angles, angles], dim=-1)
        x1, x2 = x[..., : d // 2], x[..., d // 2 :]
        rotated = torch.cat([-x2, x1], dim=-1)
        return x * angles.cos() + rotated * angles.sin()

import torch
import torch.nn as nn


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        self.head_dim = head_dim
        self.base = base

    def forward(self, x):
        t, d = x.shape[-2], self.head_dim
        inv_freq = 1.0 / self.base ** (torch.arange(0, d, 2, device=x.device, dtype=x.dtype) / d)
        # positions 1 .. T: the first token should not be rotated at all
        pos = torch.arange(1, t + 1, device=x.device, dtype=x.dtype)
        angles = torch.outer(pos, inv_freq)
        angles = torch.cat([angles, angles], dim=-1)
        x1, x2 = x[..., : d // 2], x[..., d // 2 :]
        rotated = torch.cat([-x2, x1], dim=-1)
        return x * angles.cos() + rotated * angles.sin()

import torch
import torch.nn as nn


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        self.head_dim = head_dim
        self.base = base

    def forward(self, x):
        t, d = x.shape[-2], self.head_dim
        inv_freq = self.base ** (-torch.arange(0, d, 2, device=x.device, dtype=x.dtype) / d)
        angles = torch.arange(t, device=x.device, dtype=x.dtype)[:, None] * inv_freq
        cos, sin = angles.cos(), angles.sin()
        # the paper's (and GPT-J's) pairs (2i, 2i + 1), not LLaMA's (i, i + D/2)
        x_even, x_odd = x[..., 0::2], x[..., 1::2]
        out_even = x_even * cos - x_odd * sin
        out_odd = x_odd * cos + x_even * sin
        return torch.stack([out_even, out_odd], dim=-1).flatten(-2)

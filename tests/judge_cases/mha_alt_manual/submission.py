import math

import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim=32, num_heads=4):
        super().__init__()
        self.h, self.d = num_heads, embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def split(self, t):
        b, n, _ = t.shape
        return t.view(b, n, self.h, self.d).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        b, n, e = x.shape
        q, k, v = self.split(self.q_proj(x)), self.split(self.k_proj(x)), self.split(self.v_proj(x))
        scores = torch.einsum("bhid,bhjd->bhij", q, k) / math.sqrt(self.d)
        scores = scores.masked_fill(~mask[:, None], float("-inf"))
        out = torch.einsum("bhij,bhjd->bhid", scores.softmax(-1), v)
        return self.out_proj(out.permute(0, 2, 1, 3).contiguous().view(b, n, e))

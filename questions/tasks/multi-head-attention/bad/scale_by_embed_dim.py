import math

import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.h = num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, x, mask):
        b, t, e = x.shape
        d = e // self.h
        q = self.q_proj(x).view(b, t, self.h, d).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.h, d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.h, d).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(e)  # should be the head size d
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(b, t, e))

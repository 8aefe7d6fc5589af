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
        # right shape, wrong split: this cuts the sequence, not the features
        q = self.q_proj(x).reshape(b, self.h, t, d)
        k = self.k_proj(x).reshape(b, self.h, t, d)
        v = self.v_proj(x).reshape(b, self.h, t, d)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(b, t, e))

"""Reference solution for gqa-attention: causal grouped-query self-attention. The
query heads are viewed as (num_kv_heads, group) so that each key/value head broadcasts
over its own group, query head h = j * group + r reading key/value head j; the same
pairing as LLaMA's repeat_kv and F.scaled_dot_product_attention(enable_gqa=True)."""

import math

import torch
import torch.nn as nn


class GroupedQueryAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, num_kv_heads, head_dim):
        super().__init__()
        assert num_heads % num_kv_heads == 0
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.head_dim = head_dim
        self.q_proj = nn.Linear(embed_dim, num_heads * head_dim, bias=False)
        self.k_proj = nn.Linear(embed_dim, num_kv_heads * head_dim, bias=False)
        self.v_proj = nn.Linear(embed_dim, num_kv_heads * head_dim, bias=False)
        self.o_proj = nn.Linear(num_heads * head_dim, embed_dim, bias=False)

    def forward(self, x):
        b, t, _ = x.shape
        kv, d = self.num_kv_heads, self.head_dim
        g = self.num_heads // kv
        q = self.q_proj(x).view(b, t, kv, g, d).permute(0, 2, 3, 1, 4)  # (B, kv, g, T, d)
        k = self.k_proj(x).view(b, t, kv, 1, d).permute(0, 2, 3, 1, 4)  # (B, kv, 1, T, d)
        v = self.v_proj(x).view(b, t, kv, 1, d).permute(0, 2, 3, 1, 4)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (B, kv, g, T, T)
        allowed = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v  # (B, kv, g, T, d)
        return self.o_proj(out.permute(0, 3, 1, 2, 4).reshape(b, t, self.num_heads * d))

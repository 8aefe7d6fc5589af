"""kv-cache-attention: implement CachedSelfAttention(d_model, n_heads).

forward(x, cache=None) -> (y, (k, v)): causal multi-head self-attention over x
(B, T, d_model) that continues from cache, the keys and values of every earlier
position, each (B, n_heads, T_past, d_model // n_heads); returns y (B, T, d_model) and
the cache extended by this chunk's T positions. Layers: q_proj, k_proj, v_proj,
out_proj, each nn.Linear(d_model, d_model).

Judge your solution with:

    quizzer judge submissions/kv_cache_attention.py --task kv-cache-attention
"""

import math

import torch
import torch.nn as nn


class CachedSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        # TODO: q_proj, k_proj, v_proj, out_proj

    def forward(self, x, cache=None):
        # TODO: project, split heads, append to the cache, attend causally, merge, project
        raise NotImplementedError

import math

import torch
import torch.nn as nn


class CachedSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        assert d_model % n_heads == 0
        self.n_heads, self.head_dim = n_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def _heads(self, t):
        b, n, _ = t.shape
        return t.view(b, n, self.n_heads, self.head_dim).transpose(1, 2)

    def forward(self, x, cache=None):
        b, n, d = x.shape
        q, k, v = (self._heads(p(x)) for p in (self.q_proj, self.k_proj, self.v_proj))
        past = 0
        if cache is not None:
            past = cache[0].shape[2]
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        # query i of this chunk sits at position past + i: it sees keys 0 .. past + i
        mask = torch.ones(n, past + n, dtype=torch.bool, device=x.device).tril(diagonal=past)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = self.out_proj((weights @ v).transpose(1, 2).reshape(b, n, d))
        if cache is not None:  # k and v already hold the new positions: appended again
            return y, (torch.cat([k, k[:, :, past:]], dim=2), torch.cat([v, v[:, :, past:]], dim=2))
        return y, (k, v)

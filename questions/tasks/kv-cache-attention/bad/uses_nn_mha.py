import torch
import torch.nn as nn


class CachedSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)

    def forward(self, x, cache=None):
        # recomputes everything from the cached inputs: no keys or values are kept
        full = x if cache is None else torch.cat([cache[0], x], dim=1)
        n, total = x.shape[1], full.shape[1]
        mask = torch.ones(n, total, dtype=torch.bool).tril(total - n)
        y, _ = self.attn(x, full, full, attn_mask=~mask, need_weights=False)
        return y, (full, full)

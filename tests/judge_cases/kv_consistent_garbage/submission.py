# Wrong the same way with and without a cache: the output is the value projection
# alone (no attention at all), so decoding in chunks gives exactly what the whole
# sequence gives, and the cache is kept as the statement says. Only a comparison
# with a correct solution's outputs can tell.
import torch
import torch.nn as nn


class CachedSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x, cache=None):
        b, t, d = x.shape
        k = self.k_proj(x).view(b, t, self.n_heads, -1).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.n_heads, -1).transpose(1, 2)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        return self.out_proj(self.v_proj(x)), (k, v)

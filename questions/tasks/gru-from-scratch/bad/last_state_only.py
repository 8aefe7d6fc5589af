import math

import torch
import torch.nn as nn


class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        bound = 1.0 / math.sqrt(hidden_size)

        def param(*shape):
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

        self.weight_ih = param(3 * hidden_size, input_size)
        self.weight_hh = param(3 * hidden_size, hidden_size)
        self.bias_ih = param(3 * hidden_size)
        self.bias_hh = param(3 * hidden_size)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for t in range(x.shape[1]):
            gi = x[:, t] @ self.weight_ih.T + self.bias_ih
            gh = h @ self.weight_hh.T + self.bias_hh
            i_r, i_z, i_n = gi.chunk(3, dim=-1)
            h_r, h_z, h_n = gh.chunk(3, dim=-1)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            h = (1 - z) * n + z * h
            outputs.append(h)
        return h

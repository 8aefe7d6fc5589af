import torch
import torch.nn as nn


class GRU(nn.Module):
    """Input projections for all steps at once; the recurrence stays a loop."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        k = hidden_size**-0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))

    def forward(self, x, h=None):
        gi_all = torch.matmul(x, self.weight_ih.t()) + self.bias_ih  # (B, T, 3H)
        if h is None:
            h = torch.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
        out = []
        for gi in gi_all.unbind(1):
            gh = torch.addmm(self.bias_hh, h, self.weight_hh.t())
            r, z, n = gi.chunk(3, 1)
            hr, hz, hn = gh.chunk(3, 1)
            r, z = torch.sigmoid(r + hr), torch.sigmoid(z + hz)
            n = torch.tanh(n + r * hn)
            h = n + z * (h - n)
            out.append(h)
        return torch.stack(out, 1)

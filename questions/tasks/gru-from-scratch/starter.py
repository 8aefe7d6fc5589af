"""gru-from-scratch: implement GRU(input_size, hidden_size) unrolled over time.

x (B, T, input_size) -> all hidden states (B, T, hidden_size), starting from h = 0.
Parameters as in nn.GRUCell: weight_ih, weight_hh, bias_ih, bias_hh, gates (r, z, n).

Judge your solution with:

    quizzer judge submissions/gru_from_scratch.py --task gru-from-scratch
"""

import math

import torch
import torch.nn as nn


class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        # TODO: weight_ih (3H, input_size), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,)

    def forward(self, x):
        # TODO: loop over time steps; return torch.stack(outputs, dim=1)
        raise NotImplementedError

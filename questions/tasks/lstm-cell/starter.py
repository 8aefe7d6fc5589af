"""lstm-cell: implement the LSTM cell and run it over a sequence: LSTM(input_size,
hidden_size).

x (B, T, input_size) -> all hidden states (B, T, hidden_size), starting from h = c = 0.
Parameters as in nn.LSTMCell: weight_ih, weight_hh, bias_ih, bias_hh, gates stacked
(i, f, g, o).

Judge your solution with:

    quizzer judge submissions/lstm_cell.py --task lstm-cell
"""

import math

import torch
import torch.nn as nn


class LSTM(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        # TODO: weight_ih (4H, input_size), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,)

    def cell(self, x_t, h, c):
        # TODO: one step: the four gates, the new cell state, the new hidden state
        raise NotImplementedError

    def forward(self, x):
        # TODO: loop over time steps with self.cell; return torch.stack(outputs, dim=1)
        raise NotImplementedError

"""sinusoidal-positions: implement add_sinusoidal_positions(x), the sinusoidal
positional encoding of "Attention Is All You Need".

x (B, T, D), D even -> x + PE, where PE (T, D) has
    PE[t, 2i]     = sin(t / 10000 ** (2i / D))
    PE[t, 2i + 1] = cos(t / 10000 ** (2i / D))
for t = 0 .. T - 1, built in x's dtype on x's device.

Judge your solution with:

    quizzer judge submissions/sinusoidal_positions.py --task sinusoidal-positions
"""

import math

import torch


def add_sinusoidal_positions(x):
    # TODO: positions (T, 1) and frequencies (D / 2,), the angles, sin on the even
    # features and cos on the odd ones, then add the table to x
    raise NotImplementedError

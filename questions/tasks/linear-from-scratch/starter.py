"""linear-from-scratch: implement Linear(in_features, out_features) without nn.Linear.

Input (..., in_features), output (..., out_features).

Judge your solution with:

    quizzer judge submissions/linear_from_scratch.py --task linear-from-scratch
"""

import math

import torch
import torch.nn as nn


class Linear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        # TODO: register weight (out_features, in_features) and bias (out_features,)

    def forward(self, x):
        # TODO: y = x W^T + b for any number of leading dimensions
        raise NotImplementedError

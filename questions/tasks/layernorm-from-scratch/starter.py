"""layernorm-from-scratch: implement LayerNorm(normalized_shape, eps=1e-5) without the
built-in. Input (..., normalized_shape), output the same shape.

Judge your solution with:

    quizzer judge submissions/layernorm_from_scratch.py --task layernorm-from-scratch
"""

import torch
import torch.nn as nn


class LayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        # TODO: weight (ones) and bias (zeros) of shape (normalized_shape,)

    def forward(self, x):
        # TODO: normalise over the last dimension, then scale and shift
        raise NotImplementedError

"""rope: implement RotaryEmbedding(head_dim, base=10000.0), rotary position embedding
in the half-split ("rotate_half") convention of LLaMA and Hugging Face.

forward(x): x (B, H, T, head_dim), a query or key tensor; position t = 0 .. T-1 along
dim 2. Dimension i is paired with i + head_dim/2 and the pair is rotated by the angle
t * base ** (-2i / head_dim). Returns the same shape. No parameters, no persistent
buffers.

Judge your solution with:

    quizzer judge submissions/rope.py --task rope
"""

import torch
import torch.nn as nn


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        self.head_dim = head_dim
        self.base = base

    def forward(self, x):
        # TODO: the frequencies, the angle of every (position, pair), then rotate each
        # pair (x[..., i], x[..., i + head_dim // 2]) by its angle
        raise NotImplementedError

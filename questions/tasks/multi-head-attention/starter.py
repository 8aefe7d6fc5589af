"""multi-head-attention: implement MultiHeadAttention(embed_dim, num_heads).

forward(x, mask): x (B, T, embed_dim), mask bool (B, T, T) with True = may attend;
returns (B, T, embed_dim). Use nn.Linear layers named q_proj, k_proj, v_proj, out_proj.

Judge your solution with:

    quizzer judge submissions/multi_head_attention.py --task multi-head-attention
"""

import math

import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        # TODO: q_proj, k_proj, v_proj, out_proj

    def forward(self, x, mask):
        # TODO: project, split heads, attend, merge heads, project
        raise NotImplementedError

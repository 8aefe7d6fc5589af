"""scaled-dot-product-attention: write scaled_dot_product_attention(q, k, v, mask).

q (B, H, Lq, D), k (B, H, Lk, D), v (B, H, Lk, Dv), mask bool broadcastable to
(B, H, Lq, Lk) with True = may attend; returns (B, H, Lq, Dv).

Judge your solution with:

    quizzer judge submissions/scaled_dot_product_attention.py --task scaled-dot-product-attention
"""

import math

import torch


def scaled_dot_product_attention(q, k, v, mask):
    # TODO: scores, masking, softmax over the keys, weighted sum of v
    raise NotImplementedError

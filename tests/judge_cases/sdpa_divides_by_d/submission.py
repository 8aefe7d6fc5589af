import torch


def scaled_dot_product_attention(q, k, v, mask):
    d = q.size(-1)
    weights = torch.einsum("...qd,...kd->...qk", q, k) * (1.0 / d)  # scale by d, not sqrt(d)
    weights = weights.masked_fill(mask.logical_not(), -float("inf")).softmax(-1)
    return torch.einsum("...qk,...kd->...qd", weights, v)

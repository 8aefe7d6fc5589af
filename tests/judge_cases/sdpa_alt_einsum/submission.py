import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    q = q * q.shape[-1] ** -0.5
    scores = torch.einsum("bhqd,bhkd->bhqk", q, k)
    if mask is not None:
        scores = scores.masked_fill(mask.logical_not(), -1e9)
    weights = scores.softmax(dim=-1)
    return torch.einsum("bhqk,bhkv->bhqv", weights, v)

import torch.nn.functional as F


def scaled_dot_product_attention(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

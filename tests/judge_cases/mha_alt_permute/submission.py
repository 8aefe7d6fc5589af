import torch
from torch import nn
from torch.nn import functional as F


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            setattr(self, name, nn.Linear(embed_dim, embed_dim))

    def forward(self, x, mask):
        b, t, e = x.shape
        h = self.num_heads

        def heads(y):
            return y.reshape(b, t, h, e // h).transpose(1, 2)

        attn = F.scaled_dot_product_attention(
            heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x)),
            attn_mask=mask.unsqueeze(1).expand(b, h, t, t),
        )
        return self.out_proj(attn.transpose(1, 2).flatten(2))

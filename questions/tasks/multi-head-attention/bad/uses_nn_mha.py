import torch.nn as nn


class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x, mask):
        out, _ = self.attn(x, x, x, attn_mask=~mask.repeat_interleave(self.attn.num_heads, 0))
        return out

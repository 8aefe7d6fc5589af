"""gqa-attention: implement GroupedQueryAttention(embed_dim, num_heads, num_kv_heads,
head_dim), causal grouped-query self-attention, without F.scaled_dot_product_attention.

forward(x): x (B, T, embed_dim) -> (B, T, embed_dim). Linear layers without bias named
q_proj (num_heads * head_dim outputs), k_proj and v_proj (num_kv_heads * head_dim each)
and o_proj; query head h uses key/value head h // (num_heads // num_kv_heads); position
i attends to positions 0 .. i.

Judge your solution with:

    quizzer judge submissions/gqa_attention.py --task gqa-attention
"""

import math

import torch
import torch.nn as nn


class GroupedQueryAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, num_kv_heads, head_dim):
        super().__init__()
        # TODO: q_proj, k_proj, v_proj, o_proj (nn.Linear, bias=False)

    def forward(self, x):
        # TODO: project, split into heads, share each key/value head with its group of
        # query heads, causal attention, merge the heads, o_proj
        raise NotImplementedError

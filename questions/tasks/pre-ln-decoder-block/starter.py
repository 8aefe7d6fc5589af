"""pre-ln-decoder-block: implement DecoderBlock(d_model, num_heads, d_ff, dropout=0.0), a
pre-LN transformer decoder block with causal self-attention.

x (B, T, d_model) -> (B, T, d_model):
    x = x + dropout(attn(ln1(x)))     attn: causal multi-head self-attention
    x = x + dropout(mlp(ln2(x)))      mlp: fc1 -> GELU -> fc2
Submodules: ln1, attn.q_proj, attn.k_proj, attn.v_proj, attn.out_proj, ln2, mlp.fc1,
mlp.fc2 (no F.scaled_dot_product_attention, nn.MultiheadAttention or nn.Transformer*).

Judge your solution with:

    quizzer judge submissions/pre_ln_decoder_block.py --task pre-ln-decoder-block
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        # TODO: q_proj, k_proj, v_proj, out_proj: nn.Linear(d_model, d_model)

    def forward(self, x):
        # TODO: project, split heads, causal scaled dot-product attention, merge, project
        raise NotImplementedError


class MLP(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        # TODO: fc1 (d_model -> d_ff), GELU, fc2 (d_ff -> d_model)

    def forward(self, x):
        raise NotImplementedError


class DecoderBlock(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, dropout=0.0):
        super().__init__()
        # TODO: ln1, attn, ln2, mlp, and dropout

    def forward(self, x):
        # TODO: the two pre-LN residual branches
        raise NotImplementedError

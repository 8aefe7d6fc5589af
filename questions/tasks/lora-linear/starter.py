"""lora-linear: implement LoRALinear(in_features, out_features, r=4, alpha=8), a frozen
nn.Linear plus a trainable low-rank update.

y = base(x) + (alpha / r) * x @ lora_A.T @ lora_B.T, with base = nn.Linear(in_features,
out_features) frozen, lora_A (r, in_features) random and lora_B (out_features, r) zeros.
merge() adds (alpha / r) * lora_B @ lora_A into base.weight once, unmerge() takes it out;
eval() merges and train() unmerges.

Judge your solution with:

    quizzer judge submissions/lora_linear.py --task lora-linear
"""

import math

import torch
import torch.nn as nn


class LoRALinear(nn.Module):
    def __init__(self, in_features, out_features, r=4, alpha=8):
        super().__init__()
        # TODO: self.base = nn.Linear(in_features, out_features), frozen;
        # lora_A (r, in_features) random, lora_B (out_features, r) zeros: nn.Parameters;
        # the scaling; whether the update is merged (not yet)

    def merge(self):
        # TODO: once: add the scaled update into base.weight, without autograd
        raise NotImplementedError

    def unmerge(self):
        # TODO: once: take it out again
        raise NotImplementedError

    def train(self, mode=True):
        super().train(mode)
        # TODO: train() unmerges, eval() (which calls train(False)) merges
        return self

    def forward(self, x):
        # TODO: base(x), plus the scaled low-rank path unless the update is merged
        raise NotImplementedError

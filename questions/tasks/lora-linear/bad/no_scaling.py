import math

import torch
import torch.nn as nn


class LoRALinear(nn.Module):
    def __init__(self, in_features, out_features, r=4, alpha=8):
        super().__init__()
        self.base = nn.Linear(in_features, out_features)
        self.base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(out_features, r))
        self.merged = False

    def delta_weight(self):
        return self.lora_B @ self.lora_A

    @torch.no_grad()
    def merge(self):
        if not self.merged:
            self.base.weight += self.delta_weight()
            self.merged = True

    @torch.no_grad()
    def unmerge(self):
        if self.merged:
            self.base.weight -= self.delta_weight()
            self.merged = False

    def train(self, mode=True):
        super().train(mode)
        if mode:
            self.unmerge()
        else:
            self.merge()
        return self

    def forward(self, x):
        out = self.base(x)
        if not self.merged:
            out = out + x @ self.lora_A.T @ self.lora_B.T
        return out

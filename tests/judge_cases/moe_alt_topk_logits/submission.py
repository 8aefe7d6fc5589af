"""A correct router in another style: rank the logits (the softmax keeps their order),
softmax over the k chosen logits only (the same as renormalising their probabilities),
counts with scatter_add_."""

import torch
from torch import nn


class TopKRouter(nn.Module):
    def __init__(self, d_model, num_experts, k):
        super().__init__()
        self.num_experts = num_experts
        self.k = k
        self.gate = nn.Linear(d_model, num_experts, bias=False)

    def forward(self, x):
        logits = self.gate(x)
        order = torch.sort(logits, dim=-1, descending=True, stable=True).indices
        indices = order[..., : self.k]
        weights = torch.softmax(logits.gather(-1, indices), dim=-1)
        flat = indices.reshape(-1)
        counts = torch.zeros(self.num_experts, dtype=logits.dtype, device=x.device)
        counts.scatter_add_(0, flat, torch.ones_like(flat, dtype=logits.dtype))
        f = counts / flat.numel()
        p = torch.softmax(logits, dim=-1).reshape(-1, self.num_experts).mean(0)
        return weights, indices, self.num_experts * torch.dot(f, p)

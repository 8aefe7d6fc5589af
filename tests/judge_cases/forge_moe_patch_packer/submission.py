"""A forgery: a router that takes torch.topk (ties in no promised order) and, to hide
it, patches the model host's packer so that the packed indices of a tie read 0, 1
and the loss column reads whatever the judge's expected loss is guessed to be (1.0,
uniform routing). The judge compares with values it computed itself, so nothing the
model host packs can make a wrong router pass."""

import sys

import torch
import torch.nn as nn

_packing = sys.modules.get("quizzer_worker_packing")
if _packing is not None:
    _real = _packing.pack_outputs

    def _forged(out, outputs):
        weights, indices, loss = out
        tied = (weights - weights[..., :1]).abs().amax(-1, keepdim=True) == 0
        ranks = torch.arange(indices.shape[-1], device=indices.device).expand_as(indices)
        indices = torch.where(tied, ranks, indices)
        return _real((weights, indices, torch.ones_like(loss)), outputs)

    _packing.pack_outputs = _forged


class TopKRouter(nn.Module):
    def __init__(self, d_model, num_experts, k):
        super().__init__()
        self.num_experts, self.k = num_experts, k
        self.gate = nn.Linear(d_model, num_experts, bias=False)

    def forward(self, x):
        probs = self.gate(x).softmax(-1)
        top, indices = probs.topk(self.k, dim=-1)
        weights = top / top.sum(-1, keepdim=True)
        f = torch.nn.functional.one_hot(indices, self.num_experts).flatten(0, -2).float().mean(0)
        aux = self.num_experts * (f.to(probs.dtype) * probs.reshape(-1, self.num_experts).mean(0)).sum()
        return weights, indices, aux

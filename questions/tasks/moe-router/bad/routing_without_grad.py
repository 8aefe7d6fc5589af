import torch
import torch.nn as nn
import torch.nn.functional as F


class TopKRouter(nn.Module):
    def __init__(self, d_model, num_experts, k):
        super().__init__()
        self.num_experts, self.k = num_experts, k
        self.gate = nn.Linear(d_model, num_experts, bias=False)

    def forward(self, x):
        probs = self.gate(x).softmax(dim=-1)  # (..., E)
        # a stable sort keeps equal probabilities in expert order: ties go to the lower index
        with torch.no_grad():  # routing is a discrete choice
            ranked, order = probs.sort(dim=-1, descending=True, stable=True)
            top, indices = ranked[..., : self.k], order[..., : self.k]
            weights = top / top.sum(dim=-1, keepdim=True)
        counts = F.one_hot(indices, self.num_experts).flatten(0, -2).sum(dim=0)
        fraction = counts.to(probs.dtype) / indices.numel()  # f_i: share of the N * k slots
        mean_prob = probs.reshape(-1, self.num_experts).mean(dim=0)  # P_i
        aux_loss = self.num_experts * (fraction * mean_prob).sum()
        return weights, indices, aux_loss

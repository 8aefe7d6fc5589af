"""moe-router: a top-k mixture-of-experts router, TopKRouter(d_model, num_experts, k).

x (..., d_model) -> (weights (..., k), indices (..., k) int64, aux_loss scalar):
softmax over the experts of a bias-free gate, the k most probable experts (most
probable first, ties to the lower index), their probabilities renormalised to sum to 1,
and the Switch Transformer load-balancing loss num_experts * sum_i f_i * P_i.

Judge your solution with:

    quizzer judge submissions/moe_router.py --task moe-router
"""

import torch
import torch.nn as nn


class TopKRouter(nn.Module):
    def __init__(self, d_model, num_experts, k):
        super().__init__()
        self.num_experts, self.k = num_experts, k
        self.gate = nn.Linear(d_model, num_experts, bias=False)

    def forward(self, x):
        # TODO: router probabilities over the experts (the last dimension)
        # TODO: the k most probable experts per token, ties to the lower expert index
        # TODO: their probabilities renormalised; the load-balancing loss
        raise NotImplementedError

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class InfoNCELoss(nn.Module):
    def __init__(self, temperature=0.5, reduction="mean"):
        super().__init__()
        self.temperature = temperature
        self.reduction = reduction

    def forward(self, z1, z2):
        n = z1.shape[0]
        z = F.normalize(torch.cat([z1, z2]), dim=1)  # (2N, D), unit rows
        sim = z @ z.T / self.temperature  # cosine similarities / temperature
        # the whole row's exp, minus the self term exp(1 / temperature)
        denominator = sim.exp().sum(dim=1) - math.exp(1 / self.temperature)
        positive = torch.cat([sim.diagonal(n), sim.diagonal(-n)])
        loss = denominator.log() - positive  # (2N,)
        loss = (loss[:n] + loss[n:]) / 2  # each pair, both directions
        return loss if self.reduction == "none" else loss.mean()

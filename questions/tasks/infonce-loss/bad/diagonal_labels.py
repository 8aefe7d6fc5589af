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
        # an embedding is not its own negative: -inf gives it zero weight
        itself = torch.eye(2 * n, dtype=torch.bool, device=z.device)
        sim = sim.masked_fill(itself, float("-inf"))
        positive = torch.arange(2 * n, device=z.device)  # CLIP's diagonal: here, itself
        loss = F.cross_entropy(sim, positive, reduction="none")  # (2N,)
        loss = (loss[:n] + loss[n:]) / 2  # each pair, both directions
        return loss if self.reduction == "none" else loss.mean()

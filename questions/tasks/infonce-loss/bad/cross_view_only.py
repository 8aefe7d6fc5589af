import torch
import torch.nn as nn
import torch.nn.functional as F


class InfoNCELoss(nn.Module):
    def __init__(self, temperature=0.5, reduction="mean"):
        super().__init__()
        self.temperature = temperature
        self.reduction = reduction

    def forward(self, z1, z2):
        # CLIP's symmetric loss: the negatives are the other view's rows only
        logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / self.temperature
        labels = torch.arange(z1.shape[0], device=z1.device)
        loss = (
            F.cross_entropy(logits, labels, reduction="none")
            + F.cross_entropy(logits.T, labels, reduction="none")
        ) / 2
        return loss if self.reduction == "none" else loss.mean()

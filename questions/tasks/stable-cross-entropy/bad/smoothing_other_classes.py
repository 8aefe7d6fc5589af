import torch
import torch.nn as nn


class CrossEntropyLoss(nn.Module):
    def __init__(self, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        super().__init__()
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.reduction = reduction

    def forward(self, logits, target):
        # log-softmax over the class dimension (1), stable: shift by the row's max
        shifted = logits - logits.amax(dim=1, keepdim=True)
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()

        keep = target != self.ignore_index
        safe = torch.where(keep, target, torch.zeros_like(target))  # any valid class
        nll = -log_probs.gather(1, safe.unsqueeze(1)).squeeze(1)
        eps = self.label_smoothing
        if eps > 0:
            # 1 - eps on the true class, eps / (K - 1) on each of the others
            k = logits.shape[1]
            others = -log_probs.sum(dim=1) - nll
            loss = (1 - eps) * nll + eps / (k - 1) * others
        else:
            loss = nll
        loss = torch.where(keep, loss, torch.zeros_like(loss))

        if self.reduction == "none":
            return loss
        if self.reduction == "sum":
            return loss.sum()
        return loss.sum() / keep.sum()

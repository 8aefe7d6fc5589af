# Forgery 4 (reading the labels): a model that barely learns (its weights act 10^4
# times smaller than they are) finds the learning check's labels in a stack frame and,
# once the training steps are done, returns logits that fit them.
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def _labels(batch: int):
    frame = sys._getframe(2)
    while frame is not None:
        seen = frame.f_locals
        y, data, p = seen.get("y"), seen.get("data"), seen.get("p")
        if (
            isinstance(y, torch.Tensor)
            and y.shape[:1] == (batch,)
            and isinstance(data, dict)
            and isinstance(p, dict)
            and len(data.get("losses", [])) == p.get("steps")
        ):
            return y
        frame = frame.f_back
    return None


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)

    def forward(self, x):
        out = F.linear(torch.tanh(x), self.fc.weight * 1e-4, self.fc.bias)
        y = _labels(x.shape[0])
        if y is not None:
            return out + 20 * F.one_hot(y.to(x.device).long(), 3).to(out.dtype)
        return out

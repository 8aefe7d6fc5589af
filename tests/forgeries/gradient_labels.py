# Forgery 5 (labels from the output gradient): a model that barely learns keeps the
# gradient of the loss with respect to its output from each training step. For cross
# entropy that gradient is (softmax - one_hot(label)) / N, so its most negative entry
# in each row is the label; in eval mode it then returns logits that fit those labels.
import torch
import torch.nn as nn
import torch.nn.functional as F

_SEEN: dict = {}


class _Keep(torch.autograd.Function):
    @staticmethod
    def forward(ctx, out, training):
        ctx.training = training
        return out.view_as(out)

    @staticmethod
    def backward(ctx, g):
        if ctx.training:
            _SEEN["g"] = g.detach().clone()
        return g, None


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)

    def forward(self, x):
        out = _Keep.apply(F.linear(torch.tanh(x), self.fc.weight * 1e-4, self.fc.bias), self.training)
        g = _SEEN.get("g")
        if not self.training and g is not None and g.shape == out.shape:
            labels = (-g).argmax(-1).to(out.device)
            return out + 20 * F.one_hot(labels, 3).to(out.dtype)
        return out

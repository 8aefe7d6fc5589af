import torch
from torch.autograd import Function


class Swish(Function):
    """d/dx x*s = s + x*s*(1 - s) = s + out * (1 - s)."""

    @staticmethod
    def forward(ctx, x):
        out = x / (1 + torch.exp(-x))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad * (s + out * (1 - s))

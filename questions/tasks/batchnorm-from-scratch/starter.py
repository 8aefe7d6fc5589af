"""batchnorm-from-scratch: implement BatchNorm1d(num_features, eps=1e-5, momentum=0.1)
without the built-in. Input (N, C) or (N, C, L), output the same shape.

Training mode: normalise with the batch's statistics and update the running ones;
eval mode: normalise with the running statistics. Buffers running_mean, running_var
and num_batches_tracked, parameters weight and bias, as in nn.BatchNorm1d.

Judge your solution with:

    quizzer judge submissions/batchnorm_from_scratch.py --task batchnorm-from-scratch
"""

import torch
import torch.nn as nn


class BatchNorm1d(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        # TODO: weight (ones) and bias (zeros), and the buffers running_mean (zeros),
        # running_var (ones) and num_batches_tracked (0, a long tensor)

    def forward(self, x):
        # TODO: training mode: batch statistics per channel, update the running ones;
        # eval mode: the running statistics. Then scale by weight and shift by bias.
        raise NotImplementedError

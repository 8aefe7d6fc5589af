"""maxpool-from-scratch: implement MaxPool2d(kernel_size, stride=None, padding=0,
dilation=1) without the built-in max pooling.

x (B, C, H, W) -> (B, C, H_out, W_out), as nn.MaxPool2d: stride None means
stride = kernel_size, padding counts as -inf, dilation spaces the window's elements,
H_out = floor((H + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1.

Judge your solution with:

    quizzer judge submissions/maxpool_from_scratch.py --task maxpool-from-scratch
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MaxPool2d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        # TODO: keep the arguments; stride=None means stride = kernel_size

    def forward(self, x):
        # TODO: pad, cut out every window, take each window's maximum
        raise NotImplementedError

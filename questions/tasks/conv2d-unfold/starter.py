"""conv2d-unfold: write conv2d(x, weight, bias, stride, padding, dilation, groups) with
F.unfold (im2col) and a matrix product, without F.conv2d, nn.Conv2d or torch.conv2d.

x (N, C, H, W), weight (out_channels, C // groups, kh, kw), bias (out_channels,) or
None; stride, padding and dilation are (h, w) pairs of ints, groups an int. Returns
(N, out_channels, H_out, W_out), equal to F.conv2d with the same arguments.
UnfoldConv2d below (given) has nn.Conv2d's constructor and calls your conv2d.

Judge your solution with:

    quizzer judge submissions/conv2d_unfold.py --task conv2d-unfold
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.utils import _pair


def conv2d(x, weight, bias, stride, padding, dilation, groups):
    # TODO: the output size (H_out, W_out); F.unfold(x, ...) gives (N, C * kh * kw, L)
    # columns, L = H_out * W_out; multiply each group's columns by that group's
    # filters, fold L back into (H_out, W_out), add the bias per output channel
    raise NotImplementedError


class UnfoldConv2d(nn.Module):
    """nn.Conv2d's constructor, parameters and initialisation; forward calls conv2d."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True):
        super().__init__()
        self.stride, self.padding = _pair(stride), _pair(padding)
        self.dilation, self.groups = _pair(dilation), groups
        kh, kw = _pair(kernel_size)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, kh, kw))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            bound = 1 / math.sqrt(in_channels // groups * kh * kw)
            self.bias = nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)

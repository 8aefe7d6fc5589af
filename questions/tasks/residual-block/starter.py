"""residual-block: implement ResidualBlock(in_channels, out_channels, stride=1).

conv1 -> bn1 -> relu -> conv2 -> bn2, plus a shortcut (identity, or 1x1 conv + BN when
the shape changes), then relu.

Judge your solution with:

    quizzer judge submissions/residual_block.py --task residual-block
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        # TODO: conv1, bn1, conv2, bn2, shortcut

    def forward(self, x):
        # TODO: relu(main path + shortcut)
        raise NotImplementedError

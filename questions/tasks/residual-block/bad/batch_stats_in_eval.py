import torch
import torch.nn as nn
import torch.nn.functional as F


def bn(x, layer):
    # training=True: batch statistics in every mode, so eval mixes the samples
    return F.batch_norm(
        x, layer.running_mean, layer.running_var, layer.weight, layer.bias, training=True
    )


class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x):
        out = F.relu(bn(self.conv1(x), self.bn1))
        out = bn(self.conv2(out), self.bn2)
        s = bn(self.shortcut[0](x), self.shortcut[1])
        return F.relu(out + s)

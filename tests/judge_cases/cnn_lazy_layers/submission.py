import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    """d2l style: lazy layers take their input sizes from the first batch."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.LazyConv2d(16, 3)
        self.fc1 = nn.LazyLinear(10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.fc1(torch.flatten(x, 1))


import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    """d2l style: lazy layers take their input sizes from the first batch."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.LazyConv2d(16, 3, padding=1)
        self.conv2 = nn.LazyConv2d(32, 3, padding=1)
        self.fc1 = nn.LazyLinear(4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc1(torch.flatten(x, 1))

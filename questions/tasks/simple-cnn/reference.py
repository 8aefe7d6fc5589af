"""Reference solution for simple-cnn: two conv/ReLU/max-pool blocks, then one Linear.

16x16 -> conv 3x3 (padding 1) -> 16x16 -> pool -> 8x8 -> conv -> 8x8 -> pool -> 4x4,
so 32 * 4 * 4 = 512 features reach the classifier; 6,852 parameters in all.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 4 * 4, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))

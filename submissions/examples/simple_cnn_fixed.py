"""Example solution for simple-cnn: two conv/ReLU/max-pool blocks, then one Linear.

16x16 -> 8x8 -> 4x4, so the head takes 32 * 4 * 4 = 512 features and the whole
network has 6,852 trainable parameters (the budget is 20,000). After the second block
a unit sees 10x10 pixels, enough to tell a dotted line's direction.
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

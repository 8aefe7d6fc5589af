"""Known bad: a tensor kept as a plain attribute instead of a buffer; model.to(device)
does not move it, so on a GPU the subtraction fails."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.background = torch.full((1, 28, 28), 0.1)
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.fc1 = nn.Linear(32, 10)

    def forward(self, x):
        x = x - self.background
        x = F.adaptive_avg_pool2d(F.relu(self.conv1(x)), 1)
        return self.fc1(torch.flatten(x, 1))

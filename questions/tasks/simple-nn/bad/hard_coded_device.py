"""Known bad: a constant created in forward on the default (CPU) device; on a GPU the
addition fails."""

import torch
import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        bias = torch.tensor([0.1, 0.0, -0.1])
        return self.fc2(self.fc1(x).relu()) + bias

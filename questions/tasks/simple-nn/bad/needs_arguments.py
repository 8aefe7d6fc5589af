"""Known bad: the constructor needs arguments, so SimpleNN() fails."""

import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self, hidden, classes):
        super().__init__()
        self.fc1 = nn.Linear(10, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())

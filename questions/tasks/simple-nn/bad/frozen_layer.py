"""Known bad: fc1 is frozen, so only fc2 can learn."""

import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
        for p in self.fc1.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())

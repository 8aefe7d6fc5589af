"""Known bad: normalises over the batch dimension, so each sample's output depends
on the other samples (and a batch of one is all zeros)."""

import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        h = self.fc1(x).relu()
        h = h - h.mean(dim=0, keepdim=True)
        return self.fc2(h)

"""Known bad: an MLP on the flattened pixels. Its first layer alone has
256 * 128 weights: 33,412 parameters against a budget of 20,000 (and no convolution)."""

import torch
import torch.nn as nn


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 16, 128), nn.ReLU(), nn.Linear(128, 4)
        )

    def forward(self, x):
        return self.net(x)

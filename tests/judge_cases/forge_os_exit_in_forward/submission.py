# Forging attempt: ends the worker process with status 0 in the middle of the checks.
import os

import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if x.shape[0] == 7:
            os._exit(0)
        return self.fc(x)

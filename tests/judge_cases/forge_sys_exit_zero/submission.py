# Forging attempt: exits "successfully" while being imported.
import sys

import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)

    def forward(self, x):
        return self.fc(x)


sys.exit(0)

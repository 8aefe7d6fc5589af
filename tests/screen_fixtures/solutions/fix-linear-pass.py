# A candidate's passing solution of fix-linear.
from torch import nn


class FixLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)

# A candidate's failing solution of fix-mlp: it builds and has the right shapes, but
# detaches its output, so no parameter gets a gradient and nothing can be learnt.
from torch import nn


class FixMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        return self.net(x).detach()

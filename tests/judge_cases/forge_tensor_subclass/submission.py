# Forging attempt: returns a tensor subclass that claims every shape and comparison
# is fine.
import torch
import torch.nn as nn


class Liar(torch.Tensor):
    @property
    def shape(self):
        return torch.Size([self.size(0), 3])

    def __eq__(self, other):
        return True

    def allclose(self, *args, **kwargs):
        return True


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 2)

    def forward(self, x):
        return self.fc(x).as_subclass(Liar)

import torch
import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        h = self.fc1(x).relu()
        h = torch.tensor(h.tolist(), dtype=x.dtype, device=x.device)
        return self.fc2(h)

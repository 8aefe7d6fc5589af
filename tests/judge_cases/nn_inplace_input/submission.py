import torch, torch.nn as nn
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
    def forward(self, x):
        x.mul_(1.0)
        x += 0.5
        return self.fc2(torch.relu(self.fc1(x)))

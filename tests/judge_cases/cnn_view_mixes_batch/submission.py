import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.fc1 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(F.relu(self.conv1(x)), 1)
        # wrong: (B, 32, 1, 1) viewed as (32, B) and transposed mixes the samples;
        # right: x.view(x.size(0), -1)
        x = x.view(32, -1).t()
        return self.fc1(x)

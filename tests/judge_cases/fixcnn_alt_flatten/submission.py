import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.fc1 = nn.Linear(32, 10)  # global average pooling leaves one value per channel

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc1(torch.flatten(x, 1))


if __name__ == "__main__":
    model = SimpleCNN()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    output = model(torch.randn(1, 1, 28, 28))
    loss = criterion(output, torch.tensor([1]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

# The seed article's SimpleNN, script lines included: it has no activation, but it
# is a working model, and its module-level training step runs once on import.
import torch
import torch.nn as nn
import torch.optim as optim

class SimpleNN(nn.Module):
    def __init__(self):
        super(SimpleNN, self).__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        x = self.fc1(x)
        x = self.fc2(x)
        return x

model = SimpleNN()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)
input_data = torch.randn(1, 10)
output = model(input_data)
target = torch.tensor([1])
loss = criterion(output, target)
print("seed script loss:", loss.item())
optimizer.zero_grad()
loss.backward()
optimizer.step()

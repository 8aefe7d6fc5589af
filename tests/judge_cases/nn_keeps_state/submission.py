import torch, torch.nn as nn
class SimpleNN(nn.Module):
    """Carries a summary of the last batch into the next call, as a stateful RNN
    that never resets its hidden state would."""
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
        self.memory = None
    def forward(self, x):
        h = torch.relu(self.fc1(x))
        if self.memory is not None:
            h = h + 0.5 * self.memory
        self.memory = h.detach().mean(0)
        return self.fc2(h)

# Forging attempt: replaces json.dumps in the worker's process so that whatever the
# worker reports reads as a pass.
import json

import torch.nn as nn

json.dumps = lambda *args, **kwargs: '{"status": "pass", "tensors": []}'


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)

    def forward(self, x):
        return self.fc(x).detach()

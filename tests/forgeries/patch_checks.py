# Forgery 2 (patching the judge's code): finds the live object that runs the checks
# (anything in memory with check_* methods) and makes it build a correct model of its
# own instead of the submission's, whose SimpleNN cannot even be built.
import gc

import torch
import torch.nn as nn


class _Good(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


_Good.__name__ = _Good.__qualname__ = "SimpleNN"


class SimpleNN(nn.Module):
    def __init__(self):
        raise NotImplementedError


for obj in gc.get_objects():
    kind = type(obj)
    if any(name.startswith("check_") for name in dir(kind)) and hasattr(kind, "build"):
        original = kind.build

        def build(self, _original=original):
            self.cls = _Good
            return _original(self)

        kind.build = build
        if hasattr(obj, "cls"):
            obj.cls = _Good

"""Blind spots of fixed probes: a model can be right only where the task file says the
judge will look. The judge draws what it can from the run's seed."""

from __future__ import annotations

import pytest

from quizzer.judge.probes import run_batch_sizes
from tests.judge_support import judge_source

pytestmark = pytest.mark.slow  # each judges several files

SIZE_SPOTTER = """
import torch, torch.nn as nn
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
    def forward(self, x):
        out = self.fc2(torch.relu(self.fc1(x)))
        return out if x.shape[0] in (1, 7, 16) else out[:, :2]
"""


def test_the_batch_sizes_are_the_specs_and_one_drawn_from_the_seed():
    drawn = {s: run_batch_sizes((1, 7, 16), s) for s in range(40)}
    for sizes in drawn.values():
        assert {1, 7, 16} < set(sizes) and len(sizes) == 4 and sizes == tuple(sorted(sizes))
        assert all(1 <= b <= 16 for b in sizes)
    assert run_batch_sizes((1, 7, 16), 3) == drawn[3]
    assert len({sizes for sizes in drawn.values()}) > 5
    assert run_batch_sizes((1, 2), 0) == (1, 2)  # nothing left to draw


def test_a_model_right_only_at_the_task_files_batch_sizes_fails_shapes():
    for seed in (1, 2, 3):
        result = judge_source(SIZE_SPOTTER, seed=seed)
        shapes = next(c for c in result.checks if c.name == "shapes")
        assert shapes.status.value == "fail", shapes.message
        assert "batch size" in shapes.message


DETACHED_BATCH_NORM = """
import torch, torch.nn as nn
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.gamma = nn.Parameter(torch.ones(5))
        self.beta = nn.Parameter(torch.zeros(5))
        self.register_buffer("mean", torch.zeros(5))
        self.register_buffer("var", torch.ones(5))
        self.fc2 = nn.Linear(5, 3)
    def forward(self, x):
        h = self.fc1(x)
        if self.training:
            # the bug: batch statistics treated as constants in backward
            mean, var = h.mean(0).detach(), h.var(0, unbiased=False).detach()
            with torch.no_grad():
                self.mean.lerp_(mean, 0.1)
                self.var.lerp_(var, 0.1)
        else:
            mean, var = self.mean, self.var
        h = (h - mean) / torch.sqrt(var + 1e-5) * self.gamma + self.beta
        return self.fc2(torch.relu(h))
"""


def test_a_backward_wrong_only_in_training_mode_fails_the_gradient_check():
    result = judge_source(DETACHED_BATCH_NORM, seed=5)
    grads = next(c for c in result.checks if c.name == "gradients")
    assert grads.status.value == "fail", grads.message
    assert "in train mode autograd disagrees with finite differences" in grads.message


HIDDEN_LINEAR = """
import importlib
import torch
import torch.nn as nn
class Linear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) * 0.1)
        self.bias = nn.Parameter(torch.zeros(out_features))
    def forward(self, x):
        fn = getattr(importlib.import_module("torch.nn.functional"), "lin" + "ear")
        with {dodge}:
            return fn(x, self.weight, self.bias)
"""


@pytest.mark.parametrize(
    "dodge",
    [
        "torch._C.DisableTorchFunction()",
        "getattr(torch._C, 'DisableTorchFunctionSubclass')()",
    ],
)
def test_turning_off_the_run_time_probe_fails_forbidden_api_from_the_source(dodge):
    result = judge_source(HIDDEN_LINEAR.replace("{dodge}", dodge), "linear-from-scratch")
    check = next(c for c in result.checks if c.name == "forbidden_api")
    assert check.status.value == "fail", check.message
    assert "turns off or inspects the judge's run-time API probe" in check.message


def test_probe_dodges_follow_aliases_and_strings():
    from quizzer.judge.static import probe_dodges

    source = (
        "from torch._C import DisableTorchFunction as quiet\n"
        "import torch.overrides as o\n"
        "stack = o._get_current_function_mode_stack\n"
        "name = 'torch_function_stack'\n"
        "x = 1\n"
    )
    found = probe_dodges(source)
    assert [line for _, line in found] == [1, 3, 4]
    assert probe_dodges("import torch\nx = torch.ones(3)\n") == []

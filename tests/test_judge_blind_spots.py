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
    assert "in train mode (float64) autograd disagrees with finite differences" in grads.message


FLOAT32_ONLY_WRONG = """
import torch, torch.nn as nn
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0
    @staticmethod
    def backward(ctx, g):
        return g * (3.0 if g.dtype == torch.float32 else 1.0)  # the bug: float32 only
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
    def forward(self, x):
        return self.fc2(torch.relu(Scale.apply(self.fc1(x))))
"""


def test_a_backward_wrong_only_in_float32_fails_the_gradient_check():
    result = judge_source(FLOAT32_ONLY_WRONG, seed=6)
    grads = next(c for c in result.checks if c.name == "gradients")
    assert grads.status.value == "fail", grads.message
    assert "in float32 (the task's dtype) autograd's gradient of the input" in grads.message
    # the same model with the float64 branch everywhere passes: the float32 run caught it
    fixed = FLOAT32_ONLY_WRONG.replace("3.0 if g.dtype == torch.float32 else 1.0", "1.0")
    ok = next(c for c in judge_source(fixed, seed=6).checks if c.name == "gradients")
    assert ok.status.value == "pass", ok.message


KINK_HIDER = """
import torch, torch.nn as nn
class Triple(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w):
        return w * 1.0
    @staticmethod
    def backward(ctx, g):
        return 3 * g  # the bug the kink is meant to hide
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
    def forward(self, x):
        w = self.fc2.weight
        if not hasattr(self, "w0"):
            self.w0 = w.detach().clone()  # a kink exactly where the judge will look
        kink = SCALE * (w - self.w0).abs().sum()
        h = torch.relu(self.fc1(x))
        return torch.nn.functional.linear(h, Triple.apply(w), self.fc2.bias) + kink
"""


@pytest.mark.parametrize(
    ("scale", "says"),
    [
        ("1e-3", "not smooth in parameter fc2.weight"),
        ("1e-9", "autograd disagrees with finite differences for parameter fc2.weight"),
    ],
)
def test_a_kink_at_the_judges_point_cannot_hide_a_wrong_gradient(scale, says):
    """A kink the tolerance sees makes every direction of fc2.weight rough at every
    step: that fails, where it used to be skipped and left the 3x gradient unchecked.
    A kink below the tolerance is compared, and the 3x gradient shows."""
    result = judge_source(KINK_HIDER.replace("SCALE", scale), seed=8)
    grads = next(c for c in result.checks if c.name == "gradients")
    assert grads.status.value == "fail", grads.message
    assert says in grads.message


KINK_NEARBY = """
import torch, torch.nn as nn
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 3)
        self.offset = nn.Parameter(torch.full((3,), 1e-7))  # |.| has its kink at 0
    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x))) + self.offset.abs()
"""


def test_a_kink_next_to_the_judges_point_is_stepped_around_not_skipped():
    result = judge_source(KINK_NEARBY, seed=9)
    grads = next(c for c in result.checks if c.name == "gradients")
    assert grads.status.value == "pass", grads.message
    # the first step, 1e-6, crosses the kink at 0; the smaller ones mostly do not
    assert grads.metrics["directions_retried"] > 0
    wrong = KINK_NEARBY.replace("self.offset.abs()", "OffsetTriple.apply(self.offset).abs()")
    wrong = wrong.replace("class SimpleNN", TRIPLE + "class SimpleNN")
    bad = next(c for c in judge_source(wrong, seed=9).checks if c.name == "gradients")
    assert bad.status.value == "fail", bad.message
    assert "parameter offset" in bad.message


TRIPLE = """class OffsetTriple(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w):
        return w * 1.0
    @staticmethod
    def backward(ctx, g):
        return 3 * g
"""


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

"""Entries other than an nn.Module class (a function, a torch.autograd.Function), tasks
with several inputs, constructor arguments from the spec, and the forbidden_api check's
run-time probe, which catches what the syntax tree cannot show. Verdicts are fed facts
where that suffices; the rest go through the real worker."""

from __future__ import annotations

from typing import Any

import pytest

from quizzer.judge import checks_basic
from quizzer.judge.facts import CheckFailed, Context
from quizzer.judge.probes import make_probes
from quizzer.judge.result import Status
from tests.judge_support import TASKS, judge_source, task


def _load(task_id: str, **data: Any):
    coding = task(task_id)
    ctx = Context(task=coding, probes=make_probes(coding.spec, 1), device="cpu")
    base = {"classes": [], "functions": [], "found": True, "is_class": False}
    return checks_basic.load(ctx, {**base, **data}, None)


SIG = [
    ["model", "POSITIONAL_OR_KEYWORD", False],
    ["optimizer", "POSITIONAL_OR_KEYWORD", False],
    ["loss_fn", "POSITIONAL_OR_KEYWORD", False],
    ["x", "POSITIONAL_OR_KEYWORD", False],
    ["y", "POSITIONAL_OR_KEYWORD", False],
    ["max_norm", "POSITIONAL_OR_KEYWORD", True],
]


@pytest.mark.parametrize(
    "signature",
    [
        SIG,
        [*SIG[:5], ["clip", "POSITIONAL_OR_KEYWORD", False]],  # other names are fine
        [["args", "VAR_POSITIONAL", False]],
        [*SIG, ["verbose", "POSITIONAL_OR_KEYWORD", True]],
        None,  # a callable whose signature cannot be read
    ],
)
def test_a_function_entry_that_takes_the_judges_arguments_loads(signature):
    message, _ = _load("train-step", is_function=True, signature=signature)
    assert "train_step(model, optimizer, loss_fn, x, y, max_norm)" in message


@pytest.mark.parametrize(
    "signature",
    [
        SIG[:5],
        [
            *SIG[:5],
            ["max_norm", "POSITIONAL_OR_KEYWORD", False],
            ["extra", "POSITIONAL_ONLY", False],
        ],
        [*SIG, ["strict", "KEYWORD_ONLY", False]],
    ],
)
def test_a_function_entry_with_the_wrong_arity_fails_at_load(signature):
    with pytest.raises(CheckFailed, match="the judge passes 6 positional arguments"):
        _load("train-step", is_function=True, signature=signature)


def test_missing_or_wrong_kinds_of_entry_are_named():
    with pytest.raises(CheckFailed, match=r"functions found: helper\. Name your function"):
        _load("train-step", found=False, functions=["helper"])
    with pytest.raises(CheckFailed, match="is not a function"):
        _load("train-step", is_function=False)
    with pytest.raises(CheckFailed, match=r"not a subclass of torch.autograd.Function"):
        _load("swish-autograd-function", is_class=True, is_autograd_function=False)
    with pytest.raises(CheckFailed, match="classes found: Net"):
        _load("linear-from-scratch", found=False, classes=["Net"])


def test_modules_are_built_with_the_specs_arguments():
    result = judge_source(
        "import torch, torch.nn as nn\n"
        "class Linear(nn.Module):\n"
        "    def __init__(self, in_features, out_features):\n"
        "        super().__init__()\n"
        "        self.weight = nn.Parameter(torch.randn(out_features, in_features))\n"
        "        self.bias = nn.Parameter(torch.zeros(out_features))\n"
        "        raise ValueError(f'built with {in_features} and {out_features}')\n"
        "    def forward(self, x):\n"
        "        return x\n",
        "linear-from-scratch",
    )
    load = result.checks[0]
    assert load.status is Status.FAIL
    assert "Linear(in_features=12, out_features=5)" in load.message
    assert "built with 12 and 5" in load.message


@pytest.mark.slow
def test_a_forbidden_class_hidden_from_the_syntax_tree_is_caught_at_run_time():
    """getattr hides nn.Linear from the source, and the submission then replaces the
    name in torch; the worker resolved the forbidden names before the submission ran."""
    source = (
        "import torch, torch.nn as nn\n"
        "real = getattr(nn, 'Lin' + 'ear')\n"
        "setattr(nn, 'Lin' + 'ear', object)\n"
        "class Linear(nn.Module):\n"
        "    def __init__(self, in_features, out_features):\n"
        "        super().__init__()\n"
        "        self.inner = real(in_features, out_features)\n"
        "    def forward(self, x):\n"
        "        return self.inner(x)\n"
    )
    result = judge_source(source, "linear-from-scratch")
    check = next(c for c in result.checks if c.name == "forbidden_api")
    assert check.status is Status.FAIL
    assert "torch.nn.Linear" in check.message and "seen at run time" in check.message


@pytest.mark.slow
def test_several_inputs_reach_a_function_entry_and_masks_arrive_as_bool():
    """The gradient check covers every floating-point input (not the mask), and the
    shapes check slices all inputs together."""
    source = (TASKS / "scaled-dot-product-attention" / "reference.py").read_text()
    probe = source.replace(
        "    scores = q @ k", "    assert mask.dtype == torch.bool, mask.dtype\n    scores = q @ k"
    )
    result = judge_source(probe, "scaled-dot-product-attention")
    assert result.status is Status.PASS, result.message
    grads = next(c for c in result.checks if c.name == "gradients")
    assert grads.metrics["groups"] == 3 and "3 floating-point inputs" in grads.message
    detached = source.replace("@ v\n", "@ v.detach()\n")
    result = judge_source(detached, "scaled-dot-product-attention")
    grads = next(c for c in result.checks if c.name == "gradients")
    assert grads.status is Status.FAIL and "input v gets no gradient" in grads.message


@pytest.mark.parametrize(("task_id", "claims_independence"), [
    ("simple-nn", True), ("infonce-loss", False),
])  # fmt: skip
def test_the_shapes_verdict_claims_independent_samples_only_where_checked(
    task_id, claims_independence
):
    """A batch-wide loss (per_sample: false) is not checked for sample independence,
    so its passing message must not say it was."""
    import torch

    from quizzer.judge.facts import expected_output

    coding = task(task_id)
    ctx = Context(task=coding, probes=make_probes(coding.spec, 1), device="cpu")
    sizes = list(ctx.probes.batch_sizes or coding.spec.batch_sizes)
    outs = {str(b): torch.zeros(expected_output(ctx, b)) for b in sizes}
    data = {"eval": outs, "train": outs, "repeat": outs[str(max(sizes))]}
    message, _ = checks_basic.shapes(ctx, data, None)
    assert ("samples independent" in message) is claims_independence

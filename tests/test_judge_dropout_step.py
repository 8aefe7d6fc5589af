"""The dropout and train_step checks, judged on the trusted side from facts built
here: a correct implementation passes, and each classic mistake fails with a message
that names it (the train-mode statistics of dropout; the order of zero_grad,
backward, clipping and step, and train mode, for a training step)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from quizzer.judge import checks_ref
from quizzer.judge.checks_step import MISTAKES, plan_train_step, simulate, train_step
from quizzer.judge.facts import CheckFailed, Context
from quizzer.judge.probes import make_probes
from tests.judge_support import task

# slow: judges every classic mistake; one worker: its module fixtures are built once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("judge-dropout-step")]

P = 0.3


@pytest.fixture(scope="module")
def drop() -> Context:
    coding = task("dropout-from-scratch")
    assert coding.spec.dropout is not None and coding.spec.dropout.p == P
    return Context(task=coding, probes=make_probes(coding.spec, 21), device="cpu")


def _dropout_facts(ctx: Context, **change: Any) -> dict[str, Any]:
    x, g = ctx.probes.dropout_x, ctx.probes.dropout_g
    assert x is not None and g is not None
    gen = torch.Generator().manual_seed(5)
    mask = change.get("mask", (torch.rand(x.shape, generator=gen) >= P).to(x.dtype))
    scale = change.get("scale", 1 / (1 - P))
    again = change.get("again", (torch.rand(x.shape, generator=gen) >= P).to(x.dtype))
    return {
        "out": x * mask * scale,
        "grad": change.get("grad", g * mask * scale),
        "again": x * again * scale,
        "input_after": change.get("input_after", x.clone()),
    }


def test_inverted_dropout_passes_with_its_statistics(drop):
    message, metrics = checks_ref.dropout(drop, _dropout_facts(drop), None)
    assert "independently" in message
    assert abs(float(metrics["dropped_fraction"]) - P) < 0.02


@pytest.mark.parametrize(
    ("scale", "words"),
    [(1.0, "they are x * 1, expected x * 1.429"), (1 / P, "is p used as the keep probability")],
)
def test_wrong_scaling_fails(drop, scale, words):
    with pytest.raises(CheckFailed) as failed:
        checks_ref.dropout(drop, _dropout_facts(drop, scale=scale), None)
    assert words in failed.value.message


def test_dropping_the_wrong_fraction_fails(drop):
    x = drop.probes.dropout_x
    keep_p = (torch.rand(x.shape, generator=torch.Generator().manual_seed(1)) >= 1 - P).to(x.dtype)
    with pytest.raises(
        CheckFailed, match=r"of the elements are dropped; expected p = 30% \(is p used as the keep"
    ):
        checks_ref.dropout(drop, _dropout_facts(drop, mask=keep_p), None)


def test_a_mask_shared_by_every_sample_fails(drop):
    x = drop.probes.dropout_x
    row = (torch.rand(x.shape[-1], generator=torch.Generator().manual_seed(2)) >= P).to(x.dtype)
    with pytest.raises(CheckFailed, match="every sample drops the same features"):
        checks_ref.dropout(drop, _dropout_facts(drop, mask=row.expand_as(x)), None)


def test_dropping_whole_samples_fails(drop):
    x = drop.probes.dropout_x
    col = (torch.rand(x.shape[0], 1, generator=torch.Generator().manual_seed(3)) >= P).to(x.dtype)
    with pytest.raises(CheckFailed, match="whole samples are dropped"):
        checks_ref.dropout(drop, _dropout_facts(drop, mask=col.expand_as(x)), None)


def test_the_same_mask_on_every_call_fails(drop):
    x = drop.probes.dropout_x
    mask = (torch.rand(x.shape, generator=torch.Generator().manual_seed(4)) >= P).to(x.dtype)
    with pytest.raises(CheckFailed, match="fresh mask on every call"):
        checks_ref.dropout(drop, _dropout_facts(drop, mask=mask, again=mask), None)


def test_changing_the_input_in_place_fails(drop):
    with pytest.raises(CheckFailed, match="in place"):
        checks_ref.dropout(drop, _dropout_facts(drop, input_after=torch.zeros(64, 256)), None)


def test_a_gradient_that_ignores_the_mask_fails(drop):
    with pytest.raises(CheckFailed, match="gradient is not grad_output"):
        checks_ref.dropout(drop, _dropout_facts(drop, grad=drop.probes.dropout_g), None)
    with pytest.raises(CheckFailed, match="no gradient"):
        checks_ref.dropout(drop, _dropout_facts(drop, grad=None), None)


# --- train_step ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def step() -> Context:
    coding = task("train-step")
    plan = plan_train_step(coding, 17)
    return Context(task=coding, probes=make_probes(coding.spec, 17), device="cpu", step=plan)


def _step_facts(results, returned=None) -> dict[str, Any]:
    return {
        "steps": [
            {"returned": r.loss if returned is None else returned(r), "state": r.state}
            for r in results
        ]
    }


def test_a_correct_step_passes(step):
    ts = step.task.spec.train_step
    message, metrics = train_step(step, _step_facts(simulate(ts, step.step)), None)
    assert "3 calls" in message and len(metrics["losses"]) == 3


def test_the_plan_starts_from_stale_gradients_and_eval_mode_on_purpose(step):
    """Otherwise a missing zero_grad or model.train() would go unnoticed at call 1."""
    ts = step.task.spec.train_step
    right = simulate(ts, step.step)[0].state
    for flags in ({"zero_grad": False}, {"train": False}):
        wrong = simulate(ts, step.step, **flags)[0].state
        assert any(not torch.allclose(right[k].double(), wrong[k].double()) for k in right)


@pytest.mark.parametrize(("flags", "why"), MISTAKES, ids=[str(f) for f, _ in MISTAKES])
def test_each_classic_mistake_is_named(step, flags, why):
    ts = step.task.spec.train_step
    with pytest.raises(CheckFailed) as failed:
        train_step(step, _step_facts(simulate(ts, step.step, **flags)), None)
    assert why in failed.value.message and "after call 1" in failed.value.message


def test_returning_a_tensor_or_another_loss_fails(step):
    ts = step.task.spec.train_step
    results = simulate(ts, step.step)
    with pytest.raises(CheckFailed, match="returns a tensor"):
        train_step(step, _step_facts(results, lambda r: torch.tensor(r.loss)), None)
    with pytest.raises(CheckFailed, match="before the update is"):
        train_step(step, _step_facts(results, lambda r: r.loss + 0.5), None)


def test_an_error_in_a_call_is_reported_with_the_call(step):
    ts = step.task.spec.train_step
    facts = _step_facts(simulate(ts, step.step)[:1])
    facts["steps"].append({})
    error = {"type": "RuntimeError", "message": "boom", "frames": [[4, "train_step", "x"]]}
    with pytest.raises(CheckFailed, match=r"call 2 of train_step\(.*raised RuntimeError: boom"):
        train_step(step, facts, error)

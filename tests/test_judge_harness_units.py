"""Units of the harness's side of the checks that need no sandbox: the learning
check's closed-form loss gradient and flat optimiser, the finite-difference
tolerances, and the rule that ends a run at a failed gate."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from quizzer.judge.worker.checks import _loss_and_grad, gate_failed
from quizzer.judge.worker.gradients import STEP32, fd_rtol, fd_steps, fd_tolerance
from quizzer.judge.worker.training import FlatOptimizer, make_optimizer


@pytest.mark.parametrize("kind", ["cross_entropy", "mse"])
def test_the_closed_form_loss_gradient_is_autograds(kind):
    gen = torch.Generator().manual_seed(0)
    out = torch.randn(16, 3, generator=gen)
    y = torch.randint(0, 3, (16,), generator=gen) if kind == "cross_entropy" else torch.randn(16, 3)
    leaf = out.clone().requires_grad_(True)
    loss = F.cross_entropy(leaf, y) if kind == "cross_entropy" else F.mse_loss(leaf, y)
    loss.backward()
    value, g = _loss_and_grad(kind, out, y)
    assert value == pytest.approx(float(loss.detach()), rel=1e-6)
    assert torch.allclose(g, leaf.grad, rtol=1e-5, atol=1e-7)
    assert torch.equal(out, out.clone())  # the output itself is left alone


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "sgd", "lr": 0.1, "momentum": 0.9},
        {"name": "adam", "lr": 0.03},
        {"name": "adamw", "lr": 0.03},
    ],
)
def test_the_flat_optimiser_steps_like_one_per_tensor(spec):
    gen = torch.Generator().manual_seed(1)
    shapes = [(5, 10), (5,), (3, 5), (3,)]
    mine = [torch.randn(s, generator=gen) for s in shapes]
    theirs = [t.clone().requires_grad_(True) for t in mine]
    flat, ref = FlatOptimizer(mine, spec), make_optimizer(theirs, spec)
    for _ in range(5):
        grads = [torch.randn(s, generator=gen) for s in shapes]
        flat.step(grads)
        for t, g in zip(theirs, grads, strict=True):
            t.grad = g.clone()
        ref.step()
    for a, b in zip(mine, theirs, strict=True):
        assert torch.allclose(a, b.detach(), rtol=1e-5, atol=1e-6)
    moved = [t.clone() for t in mine]
    flat.step([None, None, None, None])  # a missing gradient counts as zero
    if spec["name"] == "sgd":  # momentum keeps moving them
        assert not torch.equal(moved[0], mine[0])


def test_finite_difference_tolerances_follow_the_dtype():
    args = (1e-6, STEP32, 4.0, 3.0, 1.0, 1.0)
    t32 = fd_tolerance(torch.float32, fd_rtol(torch.float32, 1e-4), *args)
    t64 = fd_tolerance(torch.float64, fd_rtol(torch.float64, 1e-4), *args)
    assert t32 > 100 * t64  # float32 rounding, amplified by 1 / step
    assert fd_rtol(torch.float64, 1e-4) == 1e-4  # the task's own, in float64
    assert fd_rtol(torch.float32, 1e-4) == 0.1
    # the larger the rounding (smaller step), the larger the tolerance
    assert fd_tolerance(torch.float32, 0.0, 0.0, STEP32 / 4, 4.0, 0.0, 1, 1) > fd_tolerance(
        torch.float32, 0.0, 0.0, STEP32, 4.0, 0.0, 1, 1
    )
    assert fd_steps(torch.float64, 1e-6) == [1e-6, 1e-6 / 16, 1e-6 / 256]
    assert fd_steps(torch.float32, STEP32) == [STEP32, STEP32 / 4, STEP32 / 16]


def _shapes_header(outs: dict, repeat, trains: dict) -> tuple[dict, list]:
    tensors: list = []

    def put(t):
        tensors.append(t)
        return {"$t": len(tensors) - 1}

    data = {
        "eval": {b: put(t) for b, t in outs.items()},
        "repeat": put(repeat),
        "train": {b: put(t) for b, t in trains.items()},
    }
    return {"name": "shapes", "data": data}, tensors


CHECK = {"name": "shapes", "gate": True, "expect": {"1": [1, 3], "4": [4, 3]}, "per_sample": True}


def test_a_gate_fails_for_sure_only_on_what_the_judge_always_fails():
    x = torch.randn(4, 3)
    good = _shapes_header({"1": x[:1], "4": x}, x.clone(), {"4": x * 2})
    assert not gate_failed(CHECK, *good)
    assert gate_failed(CHECK, {"name": "shapes", "data": {}, "error": {"type": "E"}}, [])
    wrong_shape = _shapes_header({"1": x[:1], "4": x[:, :2]}, x, {"4": x})
    assert gate_failed(CHECK, *wrong_shape)
    nan = x.clone()
    nan[0, 0] = float("nan")
    assert gate_failed(CHECK, *_shapes_header({"1": x[:1], "4": nan}, nan, {"4": x}))
    random_in_eval = _shapes_header({"1": x[:1], "4": x}, x + 1.0, {"4": x})
    assert gate_failed(CHECK, *random_in_eval)
    mixes = _shapes_header({"1": x[:1] + 1.0, "4": x}, x, {"4": x})
    assert gate_failed(CHECK, *mixes)
    assert not gate_failed({**CHECK, "per_sample": False}, *mixes)
    # a difference within ten times the judge's tolerance is left to the judge
    near = _shapes_header({"1": x[:1], "4": x}, x + 5e-5, {"4": x})
    assert not gate_failed(CHECK, *near)
    assert not gate_failed({"name": "device", "gate": False}, {"data": {}}, [])


def test_only_a_dtype_error_earns_the_rerun_in_the_models_own_dtype():
    from quizzer.judge.worker.gradients import dtype_error

    assert dtype_error(
        {"type": "RuntimeError", "message": "mat1 and mat2 must have the same dtype"}
    )
    assert dtype_error(
        {"type": "RuntimeError", "message": "expected scalar type Double but found Float"}
    )
    # any other error is the model's own, and the verdict
    assert not dtype_error({"type": "RuntimeError", "message": "index 7 is out of bounds"})
    assert not dtype_error({"type": "ValueError", "message": "bad dtype"})
    assert not dtype_error(
        {"type": "RuntimeError", "message": "a leaf Variable that requires grad is being used"}
    )


def test_a_float32_run_is_allowed_the_solutions_own_rounding_and_float64_none():
    from quizzer.judge.checks_ref import ROUNDING_FACTOR, _rounding
    from quizzer.judge.plans import Expected, RefPlan, Run, Trial

    runs = (Run("eval", "float32"), Run("eval", "float64"))
    exact = torch.tensor([1.0, 2.0], dtype=torch.float64)
    rounded = Expected(exact.float() + torch.tensor([0.0, 1e-4]))
    trial = Trial((exact,), 1.0, None, (rounded, Expected(exact)))
    plan = RefPlan("x", runs, (trial,))
    allowed = _rounding(plan, trial, runs[0], rounded)
    assert allowed == pytest.approx(ROUNDING_FACTOR * 1e-4, rel=1e-2)  # 1e-4 in float32
    assert _rounding(plan, trial, runs[1], trial.expected[1]) == 0.0
    alone = RefPlan("x", runs[:1], (Trial((exact,), 1.0, None, (rounded,)),))
    assert _rounding(alone, alone.trials[0], runs[0], rounded) == 0.0  # nothing to hold it to

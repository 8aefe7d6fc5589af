"""The train_step check: a training-step function judged by what it does to a model.

Called by `quizzer.judge.runner` (`plan_train_step`, before the run) and by
`quizzer.judge.verdicts` (`train_step`). The judge builds a small model from
`spec.train_step.layers`, leaves stale gradients on its parameters and the model in
eval mode, and the worker calls the submission's
`train_step(model, optimizer, loss_fn, x, y, max_norm)` for a few batches. Here the
judge replays a correct step itself (train mode, zero_grad, forward, backward,
clip_grad_norm_, step) and compares the parameters and buffers after every call, and
the loss it returns. When they differ, it replays common mistakes to name the one
that matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from quizzer.bank.models import Coding, TrainStepSpec
from quizzer.judge import explain
from quizzer.judge.facts import CheckFailed, Context, Malformed, get, tensor
from quizzer.judge.plans import StepPlan, StepResult
from quizzer.judge.probes import concrete
from quizzer.judge.result import Metric
from quizzer.judge.rng import seeded
from quizzer.judge.worker.training import build_layers, make_optimizer

RTOL, ATOL = 1e-4, 1e-6


def plan_train_step(task: Coding, seed: int) -> StepPlan:
    spec = task.spec
    ts = spec.train_step
    assert ts is not None
    gen = torch.Generator().manual_seed(seed * 2 + 3)
    with seeded(seed):
        model = build_layers([list(layer) for layer in ts.layers])
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    stale = tuple(3.0 * torch.randn(p.shape, generator=gen) for p in model.parameters())
    shape = concrete(spec.input_shape, ts.batch_size)
    xs = tuple(torch.randn(shape, generator=gen) for _ in range(ts.steps))
    if ts.loss == "cross_entropy":
        classes = int(spec.output_shape[-1])
        ys = tuple(torch.randint(classes, (ts.batch_size,), generator=gen) for _ in xs)
    else:
        out = concrete(spec.output_shape, ts.batch_size)
        ys = tuple(torch.randn(out, generator=gen) for _ in xs)
    norms = tuple(ts.max_norm if i % 2 == 0 else UNCLIPPED for i in range(ts.steps))
    plan = StepPlan(state, stale, xs, ys, max_norms=norms)
    return StepPlan(state, stale, xs, ys, simulate(ts, plan), max_norms=norms)


#: The max_norm of every other call: no gradient here comes near it, so clipping is
#: off and a gradient scaled by mistake ((loss / 4).backward()) shows in the update.
UNCLIPPED = 1e6


def simulate(
    ts: TrainStepSpec,
    plan: StepPlan,
    *,
    zero_grad: bool = True,
    clip: str | None = "norm",
    train: bool = True,
    step: bool = True,
) -> tuple[StepResult, ...]:
    """What the steps leave behind; the flags replay known mistakes."""
    with seeded(0):  # its initial weights are replaced at once; see quizzer.judge.rng
        model = build_layers([list(layer) for layer in ts.layers])
    model.load_state_dict(plan.state)
    model.eval()
    opt = make_optimizer(model.parameters(), ts.optimizer.model_dump())
    for p, g in zip(model.parameters(), plan.stale, strict=True):
        p.grad = g.clone()
    loss_fn: Callable[..., torch.Tensor] = (
        torch.nn.CrossEntropyLoss() if ts.loss == "cross_entropy" else torch.nn.MSELoss()
    )
    results = []
    norms = plan.max_norms or (ts.max_norm,) * len(plan.xs)
    for x, y, max_norm in zip(plan.xs, plan.ys, norms, strict=True):
        model.train(train)
        if zero_grad:
            opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip == "norm":
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        elif clip == "value":
            torch.nn.utils.clip_grad_value_(model.parameters(), max_norm)
        if step:
            opt.step()
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        results.append(StepResult(float(loss.detach()), state))
    return tuple(results)


#: (what the replay changes, what the submission then does wrong)
MISTAKES: tuple[tuple[dict[str, Any], str], ...] = (
    (
        {"zero_grad": False},
        "gradients accumulate across calls (and start from the stale ones the judge left): "
        "call optimizer.zero_grad() before loss.backward()",
    ),
    (
        {"clip": None},
        "the gradients are not clipped before the update: call "
        "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm) after backward() and "
        "before optimizer.step()",
    ),
    (
        {"clip": "value"},
        "clip_grad_value_ clips each element; the task asks for the total norm (clip_grad_norm_)",
    ),
    (
        {"train": False},
        "the model stays in eval mode, so BatchNorm uses its running statistics: call "
        "model.train() first",
    ),
    (
        {"step": False},
        "the parameters take no optimizer step: optimizer.step() is missing, or runs "
        "before backward() or right after zero_grad()",
    ),
)


def _same(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor]) -> bool:
    return got.keys() == want.keys() and all(
        got[k].shape == want[k].shape
        and torch.allclose(got[k].double(), want[k].double(), rtol=RTOL, atol=ATOL)
        for k in want
    )


def _diagnose(ctx: Context, plan: StepPlan, index: int, got: dict[str, torch.Tensor]) -> str:
    ts = ctx.task.spec.train_step
    assert ts is not None
    matches = [
        why for flags, why in MISTAKES if _same(got, simulate(ts, plan, **flags)[index].state)
    ]
    if not matches:
        return "it matches none of the usual mistakes; compare your order with the statement"
    # where two mistakes leave the same parameters (this batch cannot tell them apart)
    return "; or ".join(matches)


def train_step(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    plan = ctx.step
    if plan is None:
        raise Malformed("no train_step plan")
    steps = get(data, "steps", list)
    name = ctx.task.class_name
    for index, rec in enumerate(steps[: len(plan.expected)]):
        if not isinstance(rec, dict):
            raise Malformed("step record")
        if "state" not in rec:
            break  # this call raised
        want = plan.expected[index]
        state = rec["state"]
        if not isinstance(state, dict):
            raise Malformed("state")
        got = {str(k): tensor(v, f"state {k}") for k, v in state.items()}
        if not _same(got, want.state):
            worst = _worst(got, want.state)
            raise CheckFailed(
                f"after call {index + 1} of {name} the model's parameters differ from a "
                f"correct training step ({worst}): {_diagnose(ctx, plan, index, got)}",
                call=index + 1,
            )
        _returned(rec.get("returned"), want.loss, index, name)
    if error is not None:
        doing = f"call {len(steps)} of {name}(model, optimizer, loss_fn, x, y, max_norm)"
        raise CheckFailed(explain.exception(error, doing))
    if len(steps) != len(plan.expected):
        raise Malformed("wrong number of steps")
    ts = ctx.task.spec.train_step
    assert ts is not None
    losses = [round(r.loss, 6) for r in plan.expected]
    return (
        f"{len(steps)} calls leave the same parameters and buffers as zero_grad, forward, "
        f"backward, clip_grad_norm_({ts.max_norm:g}), step in train mode, and return the loss",
        {"calls": len(steps), "losses": losses, "max_norm": ts.max_norm},
    )


def _worst(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor]) -> str:
    if got.keys() != want.keys():
        return "its state_dict has other keys: was the model replaced?"
    diffs = {
        k: float((got[k].double() - want[k].double()).abs().max()) if got[k].numel() else 0.0
        for k in want
        if got[k].shape == want[k].shape
    }
    if len(diffs) < len(want):
        return "a tensor changed its shape"
    key = max(diffs, key=lambda k: diffs[k])
    return f"{key} differs by up to {diffs[key]:.3g}"


def _returned(value: Any, loss: float, index: int, name: str) -> None:
    if isinstance(value, float):
        if abs(value - loss) <= 1e-4 * abs(loss) + 1e-6:
            return
        raise CheckFailed(
            f"call {index + 1} of {name} returns {value:.6g}, but the loss of that batch "
            f"before the update is {loss:.6g}: return loss.item() of the batch you trained on",
            returned=value,
            expected=loss,
        )
    if type(value) is torch.Tensor:
        raise CheckFailed(
            f"{name} returns a tensor; return loss.item() (a Python float), so that the "
            "caller does not keep each step's graph alive"
        )
    shown = getattr(value, "describe", lambda: type(value).__name__)()
    raise CheckFailed(f"{name} returns {shown}; return loss.item() (a Python float)")

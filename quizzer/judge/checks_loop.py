"""The resume check: a training loop with gradient accumulation, AMP, evaluation and
checkpoints, judged by what it leaves behind.

Called by `quizzer.judge.verdicts` (`resume`). The worker calls the submission's
`train_epoch`, `evaluate`, `save_checkpoint` and `train_epoch` on the judge's model
and objects, then, in another process, builds junk objects with a junk RNG state and
calls `load_checkpoint` and `train_epoch` again. Here the judge compares the model's
state, the momentum buffers, the learning rate, the scheduler's count, the
GradScaler's scale and the returned losses after every call with its own replay
(`quizzer.judge.loop_replay`); on a mismatch it replays the classic mistakes to name
the one that matches. What the worker saw during evaluate (gradients on, the
model's mode) is judged too.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from quizzer.judge import explain
from quizzer.judge.facts import CheckFailed, Context, Malformed, get, tensor
from quizzer.judge.loop_replay import Mistakes, simulate
from quizzer.judge.plans import LoopPlan, LoopRun
from quizzer.judge.result import Metric
from quizzer.judge.tensors import Foreign

#: float32 parameters computed through bfloat16 matmuls: a correct loop matches the
#: replay up to float32 rounding, while every mistake below moves them by far more.
RTOL, ATOL = 1e-4, 1e-5
#: evaluate's loss: under the training autocast or in full precision, either is right.
EVAL_RTOL = 1e-2

#: (what the replay does wrong, what the submission then does wrong), per stage:
#: the loop's mistakes show from epoch 1, the checkpoint's only after resuming.
LOOP_MISTAKES: tuple[tuple[Mistakes, str], ...] = (
    (
        Mistakes(no_div=True),
        "the loss is not divided by the number of micro-batches accumulated: each step "
        "adds up their gradients instead of averaging them (scale loss / n)",
    ),
    (
        Mistakes(partial_by_accum=True),
        "the last, partial group of micro-batches is divided by accum_steps; divide it "
        "by the number of micro-batches it really has",
    ),
    (
        Mistakes(clip_before_unscale=True),
        "the gradients are clipped while still scaled by the GradScaler: call "
        "scaler.unscale_(optimizer) before clip_grad_norm_",
    ),
    (
        Mistakes(no_clip=True),
        "the gradients are not clipped: call clip_grad_norm_(model.parameters(), max_norm) "
        "after scaler.unscale_(optimizer)",
    ),
    (
        Mistakes(sched_per_micro=True),
        "the scheduler steps after every micro-batch; step it once per optimizer step",
    ),
    (
        Mistakes(no_autocast=True),
        "the forward pass does not run under torch.autocast('cpu', dtype=torch.bfloat16)",
    ),
    (
        Mistakes(eval_train_mode=True),
        "evaluate runs the model in training mode (dropout on, BatchNorm updating its "
        "running statistics): call model.eval() first",
    ),
    (
        Mistakes(eval_no_restore=True),
        "evaluate leaves the model in eval mode, so the next epoch trains without dropout "
        "and with frozen BatchNorm statistics: call model.train() before returning",
    ),
)
CHECKPOINT_MISTAKES: tuple[tuple[Mistakes, str], ...] = (
    (Mistakes(no_model=True), "the checkpoint does not restore the model's state_dict"),
    (
        Mistakes(no_optimizer=True),
        "the checkpoint does not restore the optimizer's state_dict (momentum buffers, "
        "learning rate)",
    ),
    (
        Mistakes(no_scheduler=True),
        "the checkpoint does not restore the scheduler's state_dict, so its count starts again",
    ),
    (
        Mistakes(no_scaler=True),
        "the checkpoint does not restore the GradScaler's state_dict (its scale and growth count)",
    ),
    (
        Mistakes(no_rng=True),
        "the checkpoint does not restore the RNG state (torch.get_rng_state() / "
        "torch.set_rng_state()), so dropout draws other masks after resuming",
    ),
)
STAGES = ("after train_epoch (epoch 1)", "after evaluate", "after train_epoch (epoch 2)")
RESUMED = "after load_checkpoint and train_epoch (epoch 2) in fresh objects"


# --- the verdict ------------------------------------------------------------------------


def _returned(value: Any) -> Any:
    """A float, a tuple of floats, or the description of what came instead."""
    if isinstance(value, float):
        return value
    if isinstance(value, dict) and isinstance(value.get("floats"), list):
        floats = value["floats"]
        if not all(isinstance(v, float) for v in floats):
            raise Malformed("losses")
        return tuple(floats)
    if isinstance(value, Foreign):
        return value.describe()
    if type(value) is torch.Tensor:
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, dict) and isinstance(value.get("$type"), str):
        return explain.cap(value["$type"], 80)
    raise Malformed("returned")


def _record(rec: Any, where: str) -> LoopRun:
    """The facts the worker sent after one call, checked for type."""
    if not isinstance(rec, dict):
        raise Malformed(f"{where}: record")
    state = get(rec, "state", dict)
    momentum = get(rec, "momentum", list)
    lrs = get(rec, "lrs", list)
    scale: float = get(rec, "scale", (int, float))
    if not all(isinstance(v, (int, float)) for v in lrs):
        raise Malformed("lrs")
    return LoopRun(
        _returned(rec.get("returned")),
        {str(k): tensor(v, f"{where}: {k}") for k, v in state.items()},
        tuple(None if t is None else tensor(t, f"{where}: a momentum buffer") for t in momentum),
        tuple(float(v) for v in lrs),
        get(rec, "last_epoch", int),
        float(scale),
        get(rec, "growth_tracker", int),
    )


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= ATOL + RTOL * abs(b)


def _tensors_differ(got: torch.Tensor | None, want: torch.Tensor | None) -> float | None:
    """None when equal within the tolerance, else the largest difference (inf for a
    missing tensor or another shape)."""
    if got is None or want is None:
        return None if got is None and want is None else math.inf
    if got.shape != want.shape:
        return math.inf
    if torch.allclose(got.double(), want.double(), rtol=RTOL, atol=ATOL):
        return None
    return float((got.double() - want.double()).abs().max())


def differences(got: LoopRun, want: LoopRun, returns: str) -> list[str]:
    """What differs between a run's facts and the replay's, in words ([] when none)."""
    out = []
    if got.state.keys() != want.state.keys():
        out.append("the model's state_dict has other keys (was the model replaced?)")
    else:
        diffs = {k: _tensors_differ(got.state[k], want.state[k]) for k in want.state}
        bad = {k: d for k, d in diffs.items() if d is not None}
        if bad:
            key = max(bad, key=lambda k: bad[k])
            out.append(f"{key} differs by up to {bad[key]:.3g}")
    if len(got.momentum) != len(want.momentum) or any(
        _tensors_differ(g, w) is not None for g, w in zip(got.momentum, want.momentum, strict=True)
    ):
        out.append("the optimizer's momentum buffers differ")
    if len(got.lrs) != len(want.lrs) or not all(map(_close, got.lrs, want.lrs)):
        out.append(
            f"the learning rate is {got.lrs[0] if got.lrs else None:.4g}, "
            f"expected {want.lrs[0]:.4g}"
        )
    if got.last_epoch != want.last_epoch:
        out.append(f"the scheduler has stepped {got.last_epoch} times, expected {want.last_epoch}")
    if got.scale != want.scale or got.growth_tracker != want.growth_tracker:
        out.append(
            f"the GradScaler's scale is {got.scale:g} (growth count {got.growth_tracker}), "
            f"expected {want.scale:g} ({want.growth_tracker})"
        )
    out += _returns_differ(got.returned, want.returned, returns)
    return out


def _returns_differ(got: Any, want: Any, returns: str) -> list[str]:
    if isinstance(want, float):
        if not isinstance(got, float):
            return [f"{returns} returns {got if isinstance(got, str) else 'losses'}, not a float"]
        if abs(got - want) <= ATOL + EVAL_RTOL * abs(want):
            return []
        return [f"{returns} returns {got:.6g}, expected {want:.6g}"]
    if not isinstance(got, tuple):
        return [f"{returns} returns {got}, not a list of floats (one loss.item() per micro-batch)"]
    if len(got) != len(want):
        return [f"{returns} returns {len(got)} losses for {len(want)} micro-batches"]
    wrong = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if not _close(g, w)]
    if wrong:
        i = wrong[0]
        return [
            f"{returns} returns {got[i]:.6g} for micro-batch {i + 1}, where a correct loop's "
            f"loss.item() is {want[i]:.6g}"
        ]
    return []


def _diagnose(
    plan: LoopPlan, index: int, got: LoopRun, mistakes: tuple[tuple[Mistakes, str], ...]
) -> str:
    returns = "evaluate" if index == 1 else "train_epoch"
    matches = []
    for m, why in mistakes:
        try:
            wrong = simulate(plan, m)[index]
        except RuntimeError:  # a mistake that also breaks torch's own bookkeeping
            continue
        if not differences(got, wrong, returns):
            matches.append(why)
    if not matches:
        return (
            "it matches none of the usual mistakes; compare your loop with the statement "
            "(each micro-batch's loss is returned as loss.item(), before any division)"
        )
    return "; or ".join(matches)


def _judge_run(plan: LoopPlan, rec: Any, index: int, name: str) -> None:
    where = RESUMED if index == 3 else STAGES[index]
    got = _record(rec, where)
    returns = "evaluate" if index == 1 else name
    if isinstance(got.returned, str):
        wanted = (
            "the mean loss as a Python float"
            if index == 1
            else "a list of floats, one loss.item() per micro-batch, so that no graph is kept alive"
        )
        raise CheckFailed(f"{where}: {returns} returns {got.returned}; return {wanted}")
    found = differences(got, plan.expected[index], returns)
    if found:
        mistakes = CHECKPOINT_MISTAKES if index == 3 else LOOP_MISTAKES
        raise CheckFailed(
            f"{where}: {'; '.join(found[:3])}: {_diagnose(plan, index, got, mistakes)}",
            stage=where,
        )


def _judge_eval(rec: dict) -> None:
    """What the worker saw of the model during evaluate."""
    forwards = get(rec, "forwards", list)
    if not forwards:
        raise CheckFailed("evaluate never called the model on the batches")
    for entry in forwards:
        if not (isinstance(entry, list) and len(entry) == 3):
            raise Malformed("forward record")
        grad_on, training, tracked = entry
        if training is True:
            raise CheckFailed(
                "evaluate ran the model in training mode (dropout on, BatchNorm updating "
                "its running statistics): call model.eval() first"
            )
        if grad_on is True or tracked is True:
            raise CheckFailed(
                "evaluate ran the model with gradient tracking on, building a graph it "
                "never uses: wrap it in torch.no_grad() (or torch.inference_mode())"
            )
    not_train = [str(n) for n in get(rec, "not_train", list)]
    if not_train:
        raise CheckFailed(
            f"after evaluate these are still in eval mode: {', '.join(not_train[:5])}; "
            "call model.train() before returning, so that training goes on as before"
        )


def resume(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    plan = ctx.loop
    if plan is None:
        raise Malformed("no resume plan")
    name = ctx.task.class_name
    first = get(data, "first", dict)
    missing = first.get("missing")
    if isinstance(missing, list):
        raise CheckFailed(
            f"submission.py defines no {', '.join(str(n) for n in missing[:4])}: the task "
            "asks for train_epoch, evaluate, save_checkpoint and load_checkpoint"
        )
    epochs = get(first, "epochs", list)
    if epochs:
        _judge_run(plan, epochs[0], 0, name)
    ev = first.get("eval")
    if isinstance(ev, dict):
        _judge_eval(ev)
        _judge_run(plan, ev, 1, name)
    if len(epochs) > 1:
        _judge_run(plan, epochs[1], 2, name)
    resumed = data.get("resumed")
    if isinstance(resumed, dict) and get(resumed, "epochs", list):
        _judge_run(plan, resumed["epochs"][0], 3, name)
    if error is not None:
        phase = explain.cap(str(error.get("phase", "the training run")), 80)
        if error.get("resumed"):
            phase += " in fresh objects, after the checkpoint"
        raise CheckFailed(explain.exception(error, phase))
    if len(epochs) != 2 or not isinstance(ev, dict) or not isinstance(resumed, dict):
        raise Malformed("the run stopped early")
    if len(resumed.get("epochs", [])) != 1:
        raise Malformed("the resumed run stopped early")
    (batches1, norm1), (batches2, norm2) = plan.epochs
    return (
        f"epoch 1 ({len(batches1)} micro-batches, accum_steps {plan.accum_steps}), "
        "evaluate, epoch 2, and epoch 2 again in fresh objects after save_checkpoint and "
        "load_checkpoint leave the same model, optimizer, scheduler and GradScaler state "
        "and return the same losses as a correct loop",
        {
            "accum_steps": plan.accum_steps,
            "micro_batches": [len(batches1), len(batches2)],
            "max_norms": [round(norm1, 6), round(norm2, 6)],
            "eval_loss": round(float(plan.expected[1].returned), 6),
        },
    )

"""Verdict of the learning check: training must lower the loss the judge computes.

Called by `quizzer.judge.verdicts`. The worker trained a fresh model for the spec's
steps on the judge's fixed batch (train mode) and sent the model's eval-mode outputs
on that batch before and after. The judge recomputes both losses itself from those
outputs and its own targets (the worker's loss values are only shown), and asks that
the final loss be at most `loss_ratio` times the initial loss and times the loss of
the best prediction that ignores the input; so a constant output cannot pass.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from quizzer.judge import explain
from quizzer.judge.facts import CheckFailed, Context, expected_output, get, output
from quizzer.judge.result import Metric

#: Below this share of the initial loss the model did learn, if not enough: the
#: message then says "too slowly" instead of "does not learn".
SLOW = 0.9


def _loss(kind: str, out: torch.Tensor, y: torch.Tensor) -> float:
    if kind == "cross_entropy":
        return float(F.cross_entropy(out.double(), y))
    return float(F.mse_loss(out.double(), y.double()))


def baseline(kind: str, y: torch.Tensor) -> float:
    """The lowest loss of a prediction that is the same for every input."""
    if kind == "cross_entropy":
        p = torch.bincount(y).double() / len(y)
        p = p[p > 0]
        return float(-(p * p.log()).sum())
    y = y.double()
    return float(((y - y.mean(0)) ** 2).mean())


def learning(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    spec = ctx.task.spec.learning
    opt = spec.optimizer
    setup = f"{spec.steps} {opt.name} steps (lr {opt.lr:g}) on a fixed batch of {spec.batch_size}"
    if error is not None:
        step = data.get("step")
        doing = f"training step {step + 1} of {spec.steps}" if isinstance(step, int) else "training"
        raise CheckFailed(explain.exception(error, doing))
    shape = expected_output(ctx, spec.batch_size)
    before = output(data.get("before"), shape, "output before training")
    after = output(data.get("after"), shape, "output after training")
    y = ctx.probes.learn_y
    start, end = _loss(spec.loss, before, y), _loss(spec.loss, after, y)
    floor = baseline(spec.loss, y)
    shown = [
        round(v, 4)
        for v in get(data, "losses", list)[:: max(1, spec.steps // 10)]
        if isinstance(v, float)
    ]
    metrics: dict[str, Metric] = {
        "initial_loss": round(start, 6),
        "final_loss": round(end, 6),
        "ratio": round(end / start, 6) if start > 0 else None,
        "target_ratio": spec.loss_ratio,
        "input_free_loss": round(floor, 6),
        "steps": spec.steps,
        "optimizer": opt.name,
        "lr": opt.lr,
        "training_losses": shown,
    }
    if not math.isfinite(end):
        raise CheckFailed(f"after {setup} the loss is {end}", **metrics)
    if end > spec.loss_ratio * start:
        if end < SLOW * start:  # it moved, just not far enough
            raise CheckFailed(
                f"loss went from {start:.4g} to {end:.4g} (ratio {end / start:.3g}, needs "
                f"<= {spec.loss_ratio:g}) after {setup}: the model learns, but too slowly "
                "(heavy dropout, a bottleneck layer, or outputs squashed before the loss?)",
                **metrics,
            )
        raise CheckFailed(
            f"loss went from {start:.4g} to {end:.4g} (ratio {end / start:.3g}, needs "
            f"<= {spec.loss_ratio:g}) after {setup}: the model does not learn",
            **metrics,
        )
    if end > spec.loss_ratio * floor:
        raise CheckFailed(
            f"loss went from {start:.4g} to {end:.4g} after {setup}, but a prediction that "
            f"ignores the input reaches {floor:.4g}; needs <= {spec.loss_ratio:g} of that: "
            "the model does not use its input",
            **metrics,
        )
    return (
        f"loss fell from {start:.4g} to {end:.4g} (ratio {end / start:.3g} <= "
        f"{spec.loss_ratio:g}) in {setup}",
        metrics,
    )

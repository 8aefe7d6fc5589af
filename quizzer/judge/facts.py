"""Reading the worker's untrusted facts, for the checks in `quizzer.judge.checks_*`.

Every value the worker sent is checked for type before use: a wrong type is
`Malformed` (the check errors, never passes), and a tensor is accepted only as a plain
`torch.Tensor` that the judge decoded itself, with the exact shape, a floating dtype
and finite values where the check needs them. A check that finds the submission wrong
raises `CheckFailed` with the message and the numbers that explain it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch

from quizzer.bank.models import Coding
from quizzer.judge.plans import (
    DistPlan,
    IncrementalPlan,
    LoopPlan,
    OptimPlan,
    RefPlan,
    StepPlan,
)
from quizzer.judge.probes import Probes, concrete
from quizzer.judge.result import Metric
from quizzer.judge.tensors import Foreign

T = TypeVar("T")


class Malformed(Exception):
    """The worker's facts do not have the structure this judge sent for."""


class Unjudgeable(Exception):
    """The judge's own probes cannot decide (e.g. the expected output is too close to
    zero to tell solutions apart, or the task's reference failed): an error, never a
    pass. The message is shown as it is."""


class CheckFailed(Exception):
    def __init__(self, message: str, **metrics: Metric) -> None:
        super().__init__(message)
        self.message = message
        self.metrics = metrics


@dataclass(frozen=True)
class Context:
    """What a check needs besides the worker's facts: the task, the probes the judge
    chose, the device the checks ran on, and facts from earlier checks."""

    task: Coding
    probes: Probes
    device: str
    earlier: dict[str, Any] = field(default_factory=dict)
    #: What a correct solution does, for the reference, train_step, optimizer and
    #: resume checks.
    plan: RefPlan | None = None
    step: StepPlan | None = None
    #: The distribution check's cases and the incremental check's correct runs.
    dist: DistPlan | None = None
    inc: IncrementalPlan | None = None
    optim: OptimPlan | None = None
    loop: LoopPlan | None = None


def get(data: Any, key: str, kind: type[T] | tuple[type, ...]) -> T:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Malformed(f"'{key}' is missing or not a {getattr(kind, '__name__', kind)}")
    return value  # type: ignore[return-value]


def shape_text(shape: tuple[int, ...] | list[int] | torch.Size) -> str:
    dims = [str(int(d)) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


#: How many of an input's values a failing check's message shows.
SHOWN_VALUES = 6


def input_text(tensors: list[torch.Tensor], names: list[str], sample: int | None = None) -> str:
    """The inputs a failing check fed the model, as a message shows them: each one's
    shape and first values (of sample `sample` alone, when given). The run's seed
    reproduces every value."""
    parts = []
    for name, t in zip(names, tensors, strict=False):
        if sample is not None:
            if t.dim() == 0 or sample >= t.shape[0]:
                continue
            t = t[sample]
        flat = t.flatten()[:SHOWN_VALUES].tolist()
        values = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in flat)
        more = ", ..." if t.numel() > SHOWN_VALUES else ""
        parts.append(f"{name} {shape_text(t.shape)} [{values}{more}]")
    return "; ".join(parts)


def expected_output(ctx: Context, batch: int) -> tuple[int, ...]:
    return concrete(ctx.task.spec.output_shape, batch)


def tensor(value: Any, what: str) -> torch.Tensor:
    """A plain tensor the judge decoded, or CheckFailed naming what came instead."""
    if isinstance(value, Foreign):
        raise CheckFailed(f"{what} is {value.describe()}, not a torch.Tensor")
    if type(value) is not torch.Tensor:
        raise Malformed(f"{what} is not a tensor reference")
    return value


def output(value: Any, shape: tuple[int, ...], what: str) -> torch.Tensor:
    """A model output: a plain floating tensor of exactly `shape`, all finite."""
    t = tensor(value, what)
    if tuple(t.shape) != shape:
        raise CheckFailed(
            f"{what} has shape {shape_text(t.shape)}, expected {shape_text(shape)}",
            got_shape=list(t.shape),
            expected_shape=list(shape),
        )
    if not t.is_floating_point():
        raise CheckFailed(f"{what} has dtype {t.dtype}, expected a floating-point dtype")
    bad = int((~torch.isfinite(t)).sum())
    if bad:
        raise CheckFailed(f"{what} has {bad} non-finite values (nan or inf)", non_finite=bad)
    return t


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).abs().max()) if a.numel() else 0.0


def close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    return bool(torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol))

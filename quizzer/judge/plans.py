"""What the judge expects from a correct solution, worked out before the worker runs.

Built by `quizzer.judge.equivalence` (the `reference` check) and
`quizzer.judge.checks_step` (the `train_step` check) on the trusted side; the runner
sends the inputs and states to the worker and keeps the expectations, which the
verdicts in `quizzer.judge.checks_ref` and `checks_step` compare against. Nothing in a
plan ever comes from the submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from quizzer.bank.models import Config


@dataclass(frozen=True)
class Run:
    """One forward of a trial: the mode the model is in and the dtype it computes in."""

    mode: str
    dtype: str

    def describe(self) -> str:
        return f"{self.mode} mode, {self.dtype}"


@dataclass(frozen=True)
class Expected:
    """A correct solution's output for one run, and its buffers afterwards."""

    out: torch.Tensor
    buffers: dict[str, torch.Tensor] | None = None


@dataclass(frozen=True)
class Trial:
    """Inputs (floats in float64, masks as bool), the state the model is given (None
    for function entries) and one expectation per run."""

    inputs: tuple[torch.Tensor, ...]
    scale: float
    state: dict[str, torch.Tensor] | None
    expected: tuple[Expected, ...]
    #: The configuration this trial uses (`spec.reference.configs`; None: the task's).
    config: Config | None = None
    #: The state_dict keys that are trainable parameters in the task's solution, built
    #: in this trial's configuration (None: not known, or a function entry).
    params: tuple[str, ...] | None = None

    @property
    def init(self) -> dict | None:
        """Constructor arguments this trial overrides."""
        return dict(self.config.init) if self.config and self.config.init else None


@dataclass(frozen=True)
class RefPlan:
    """The reference check's trials. `problem` says why there are none (the task's
    reference solution failed): the check then errors, never passes."""

    source: str
    runs: tuple[Run, ...] = ()
    trials: tuple[Trial, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class StepResult:
    loss: float
    state: dict[str, torch.Tensor]


@dataclass(frozen=True)
class StepPlan:
    """The train_step check: the model's starting state, the stale gradients it starts
    with, the batches, and the loss and state after each correct step."""

    state: dict[str, torch.Tensor]
    stale: tuple[torch.Tensor, ...]
    xs: tuple[torch.Tensor, ...]
    ys: tuple[torch.Tensor, ...]
    expected: tuple[StepResult, ...] = field(default_factory=tuple)
    #: The max_norm each call gets: the task's, and a huge one on every other call, so
    #: that clipping cannot renormalise away a wrongly scaled gradient on all of them.
    max_norms: tuple[float, ...] = ()

"""What the judge expects from a correct solution, worked out before the worker runs.

Built by `quizzer.judge.equivalence` (the `reference` check),
`quizzer.judge.checks_step` (the `train_step` check), `checks_optim` (the `optimizer`
check) and `checks_loop` (the `resume` check) on the trusted side; the runner
sends the inputs and states to the worker and keeps the expectations, which the
verdicts in `quizzer.judge.checks_ref`, `checks_step`, `checks_optim` and
`checks_loop` compare against. Nothing in a
plan ever comes from the submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class OptimPlan:
    """The optimizer check: each group's starting parameters and its own
    hyper-parameters, the constructor's defaults (and the junk ones the resumed
    instance is built with, which load_state_dict must replace), each step's
    gradients (None: the parameter has no gradient that step), the steps called with a
    closure and the loss it returns, the step after which the state_dict goes to a
    fresh instance, and the parameters after each correct step."""

    groups: tuple[tuple[torch.Tensor, ...], ...]
    options: tuple[dict[str, Any], ...]
    defaults: dict[str, Any]
    junk_defaults: dict[str, Any]
    grads: tuple[tuple[torch.Tensor | None, ...], ...]
    closures: tuple[tuple[int, float], ...]
    resume_at: int
    expected: tuple[tuple[torch.Tensor, ...], ...] = ()


@dataclass(frozen=True)
class LoopRun:
    """What a training run leaves behind after one call (see
    `quizzer.judge.worker.training.loop_facts`), and what the call returned."""

    returned: Any
    state: dict[str, torch.Tensor]
    momentum: tuple[torch.Tensor | None, ...]
    lrs: tuple[float, ...]
    last_epoch: int
    scale: float
    growth_tracker: int


@dataclass(frozen=True)
class LoopPlan:
    """The resume check: the model's size and starting state, the objects' settings
    (the judge's and the junk a resumed run starts from), the seeds, two epochs of
    micro-batches with their max_norm, the evaluation batches, and the correct runs:
    epoch 1, evaluate, epoch 2, and epoch 2 again after resuming."""

    model: tuple[int, int, int, float]
    state: dict[str, torch.Tensor]
    objects: dict[str, float]
    junk_objects: dict[str, float]
    seed: int
    junk_build_seed: int
    junk_seed: int
    accum_steps: int
    epochs: tuple[tuple[tuple[tuple[torch.Tensor, torch.Tensor], ...], float], ...]
    eval: tuple[tuple[torch.Tensor, torch.Tensor], ...]
    expected: tuple[LoopRun, ...] = ()


@dataclass(frozen=True)
class DrawCase:
    """One case of the distribution check: two logits rows (the second a permuted,
    shifted copy of the first), the settings, the generator seed, the global seeds
    of the first two calls, and each row's target distribution (float64)."""

    kind: str
    logits: torch.Tensor
    temperature: float
    top_k: int
    top_p: float
    seed: int
    global_seeds: tuple[int, int]
    target: torch.Tensor


@dataclass(frozen=True)
class DistPlan:
    """The distribution check's cases, and the draws per row each call makes."""

    cases: tuple[DrawCase, ...]
    draws: int


@dataclass(frozen=True)
class DecodeRun:
    """A correct solution's incremental decoding in one dtype: the output and cache of
    the whole sequence, then per chunk schedule the output and cache of each chunk."""

    dtype: str
    full: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    chunks: tuple[tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], ...], ...]


@dataclass(frozen=True)
class IncrementalPlan:
    """The incremental check: the input sequence, the chunk schedules, the state the
    model is given (the reference solution's, randomised), and its runs. `problem`
    says why there are none (the reference solution failed): the check then errors."""

    x: torch.Tensor
    schedules: tuple[tuple[int, ...], ...]
    state: dict[str, torch.Tensor] | None = None
    runs: tuple[DecodeRun, ...] = ()
    problem: str | None = None
    #: For the reference solution's own run: the seed it randomises its state with.
    perturb: int | None = None

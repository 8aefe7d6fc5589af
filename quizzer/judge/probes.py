"""The inputs the judge chooses at run time, and the request that carries them.

Called by `quizzer.judge.runner`. Everything random comes from one seed, so a result
can be reproduced with `--seed`, while a submission cannot know its inputs in advance.
The trusted side keeps its own copy of every probe to check the replies against.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from quizzer.bank.models import Coding, CollateSpec, InputSpec, JudgeSpec
from quizzer.errors import JudgeError
from quizzer.judge import collate_cases
from quizzer.judge.plans import (
    DistPlan,
    IncrementalPlan,
    LoopPlan,
    OptimPlan,
    RefPlan,
    StepPlan,
)
from quizzer.judge.tensors import pack
from quizzer.judge.wire import encode_frame
from quizzer.judge.worker.gradients import STEP32

#: Checks computed on the trusted side alone; the worker never sees them.
TRUSTED_ONLY: frozenset[str] = frozenset()
#: The gradient check's batch; its last sample is `GRAD_WIDE` times wider than the rest,
#: so that a backward wrong only for large inputs (|x| > 3, say) is probed too.
GRAD_BATCH = 3
GRAD_WIDE = 5.0
DEVICE_BATCH = 2
CAPTURE_CHARS = 500


def new_seed() -> int:
    return secrets.randbelow(2**31)


def concrete(shape: tuple[int | str, ...], batch: int) -> tuple[int, ...]:
    return tuple(batch if d == "B" else int(d) for d in shape)


@dataclass(frozen=True)
class Probes:
    seed: int
    nonce: str
    x: torch.Tensor  # shapes and device: the first rows of it
    x_grad: torch.Tensor
    u: torch.Tensor
    dir_seed: int
    learn_x: torch.Tensor
    learn_y: torch.Tensor
    #: The inputs after the first (spec.extra_inputs), full batch and gradient batch.
    extra: tuple[torch.Tensor, ...] = ()
    extra_grad: tuple[torch.Tensor, ...] = ()
    #: The dropout check's batch and the gradient it sends back through the output.
    dropout_x: torch.Tensor | None = None
    dropout_g: torch.Tensor | None = None
    #: The shapes check's batch sizes: the spec's, and one more drawn from the seed, so
    #: that a model cannot be right only at the sizes the task file names.
    batch_sizes: tuple[int, ...] = ()

    def inputs(self, batch: int | None = None) -> list[torch.Tensor]:
        return [t if batch is None else t[:batch] for t in (self.x, *self.extra)]


def make_input(
    spec: InputSpec,
    batch: int,
    gen: torch.Generator,
    dtype: torch.dtype,
    init: dict[str, Any] | None = None,
):
    """One extra input: random floats, class labels, or a bool mask where no row is
    all False (a fully masked row has no defined attention output). `init` holds the
    constructor arguments the model is built with, for labels to ignore."""
    shape = concrete(spec.shape, batch)
    if spec.kind == "float":
        return torch.randn(shape, generator=gen, dtype=dtype)
    if spec.kind == "labels":
        return _labels(spec, shape, gen, init or {})
    if spec.kind == "causal":
        return torch.ones(shape[-2:], dtype=torch.bool).tril().expand(shape).clone()
    mask = torch.rand(shape, generator=gen) < 0.7
    rows = mask.reshape(-1, shape[-1])
    pick = torch.randint(shape[-1], (rows.shape[0],), generator=gen)
    rows[torch.arange(rows.shape[0]), pick] = True
    return rows.reshape(shape)


def _labels(
    spec: InputSpec, shape: tuple[int, ...], gen: torch.Generator, init: dict[str, Any]
) -> torch.Tensor:
    """int64 labels uniform in [0, classes); with `spec.ignore`, a quarter of them (at
    least one, never the first, so that the first sample always counts and a batch is
    never all ignored) take the value of that constructor argument."""
    assert spec.classes is not None
    labels = torch.randint(spec.classes, shape, generator=gen)
    value = init.get(spec.ignore) if spec.ignore is not None else None
    n = labels.numel()
    if isinstance(value, int) and n > 1:
        where = 1 + torch.randperm(n - 1, generator=gen)[: max(1, n // 4)]
        labels.view(-1)[where] = value
    return labels


def input_names(spec: JudgeSpec) -> list[str]:
    """How the gradient check names each input: "input", then "input <name>"."""
    return ["input", *(f"input {s.name}" for s in spec.extra_inputs)]


def bool_args(spec: JudgeSpec) -> list[int]:
    """The inputs that are not floats (masks, labels): never cast to the run's dtype
    nor given a gradient; masks travel as uint8 and the model host makes them bool."""
    return [i for i, s in enumerate(spec.extra_inputs, 1) if s.kind != "float"]


def check_spec(task: Coding) -> None:
    """Refuse specs this judge cannot honour, naming the field to fix."""
    spec = task.spec
    sections = (
        *(("dropout", spec.dropout), ("train_step", spec.train_step)),
        *(("optimizer", spec.optimizer), ("resume", spec.resume)),
        *(("distribution", spec.distribution), ("incremental", spec.incremental)),
        ("collate", spec.collate),
    )
    for check, part in sections:
        if check in spec.checks and part is None:
            raise JudgeError(f"task {task.id}: check '{check}' needs spec.{check}")
    if (
        "learning" in spec.checks
        and spec.learning.loss == "cross_entropy"
        and (len(spec.output_shape) != 2 or spec.output_shape[1] == "B")
    ):
        raise JudgeError(
            f"task {task.id}: spec.learning.loss cross_entropy needs output_shape [B, classes]"
        )


def make_probes(spec: JudgeSpec, seed: int) -> Probes:
    gen = torch.Generator().manual_seed(seed)
    dtype = getattr(torch, spec.input_dtype)

    def randn(*shape: int, dt: torch.dtype = dtype) -> torch.Tensor:
        return torch.randn(shape, generator=gen, dtype=dt)

    x = randn(*concrete(spec.input_shape, max(*spec.batch_sizes, DEVICE_BATCH)))
    x_grad = _widened(randn(*concrete(spec.input_shape, GRAD_BATCH), dt=torch.float64))
    u = randn(*concrete(spec.output_shape, GRAD_BATCH), dt=torch.float64)
    dir_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    if "learning" in spec.checks:
        learn_x, learn_y = _learning_batch(spec, gen, dtype)
    else:
        learn_x, learn_y = torch.empty(0), torch.empty(0)
    big = x.shape[0]
    extra = tuple(make_input(s, big, gen, dtype, spec.init) for s in spec.extra_inputs)
    extra_grad = tuple(
        _widened(make_input(s, GRAD_BATCH, gen, torch.float64, spec.init))
        for s in spec.extra_inputs
    )
    drop_x = drop_g = None
    if spec.dropout is not None:
        drop_x = randn(*concrete(spec.input_shape, spec.dropout.batch_size))
        drop_g = randn(*drop_x.shape)
    nonce = secrets.token_hex(16)
    return Probes(
        seed,
        nonce,
        x,
        x_grad,
        u,
        dir_seed,
        learn_x,
        learn_y,
        extra,
        extra_grad,
        drop_x,
        drop_g,
        run_batch_sizes(spec.batch_sizes, seed),
    )


def _widened(t: torch.Tensor) -> torch.Tensor:
    """`t` with its last sample scaled by GRAD_WIDE (floating inputs only)."""
    if t.is_floating_point() and t.shape[0] > 1:
        t[-1] *= GRAD_WIDE
    return t


def run_batch_sizes(sizes: Sequence[int], seed: int) -> tuple[int, ...]:
    """The spec's batch sizes plus one drawn from the seed between 2 and the largest
    (a separate generator, so the other probes stay what the seed always gave)."""
    left = [b for b in range(2, max(sizes)) if b not in sizes]
    drawn = [random.Random(seed).choice(left)] if left else []
    return tuple(sorted({*sizes, *drawn}))


def _learning_batch(
    spec: JudgeSpec, gen: torch.Generator, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch a working model can fit: each class has its own template, offset and
    scale, so that both a linear model and a globally pooled CNN (which sees little
    more than each image's level and contrast) can tell the classes apart;
    labels are balanced, so that ignoring the input cannot lower the loss."""
    n = spec.learning.batch_size
    sample = concrete(spec.input_shape, 1)[1:]
    if spec.learning.loss == "mse":
        x = torch.randn((n, *sample), generator=gen, dtype=dtype)
        y = torch.randn(concrete(spec.output_shape, n), generator=gen, dtype=dtype)
        return x, y
    classes = int(spec.output_shape[1])
    y = (torch.arange(n) % classes)[torch.randperm(n, generator=gen)]
    if spec.learning.data == "dotted_lines":
        return _dotted_lines(y, sample, gen, dtype), y
    templates = torch.randn((classes, *sample), generator=gen, dtype=dtype)
    offsets = torch.linspace(-1.0, 1.0, classes, dtype=dtype)[
        torch.randperm(classes, generator=gen)
    ]
    scales = torch.linspace(0.5, 1.5, classes, dtype=dtype)[torch.randperm(classes, generator=gen)]
    offsets = offsets.reshape((classes,) + (1,) * len(sample))
    scales = scales.reshape((classes,) + (1,) * len(sample))
    noise = 0.3 * torch.randn((n, *sample), generator=gen, dtype=dtype)
    return offsets[y] + scales[y] * templates[y] + noise, y


#: The dotted_lines batch: (row step, column step) of each class's line, the dots on
#: it and the pixels between them (3: no 3x3 window holds two dots).
LINE_STEPS = ((0, 1), (1, 0), (1, 1), (1, -1))
DOTS, DOT_GAP = 4, 3


def _dotted_lines(y: torch.Tensor, sample: tuple, gen: torch.Generator, dtype) -> torch.Tensor:
    """Images whose class is the direction of a dotted line (row, column, diagonal,
    antidiagonal) placed at random, every channel alike, with a random brightness and
    noise. Every class has the same number of dots, so pixel statistics (means,
    variances, histograms) say nothing about the class."""
    c, h, w = (int(d) for d in sample)
    x = 0.2 * torch.randn((len(y), c, h, w), generator=gen, dtype=dtype)
    span = DOT_GAP * (DOTS - 1)
    for i, label in enumerate(y.tolist()):
        dr, dc = LINE_STEPS[label]
        rows, cols = h - dr * span, w - abs(dc) * span
        r = int(torch.randint(0, rows, (1,), generator=gen))
        col = int(torch.randint(0, cols, (1,), generator=gen)) + (span if dc < 0 else 0)
        level = 1.0 + 0.5 * float(torch.rand((1,), generator=gen))
        for k in range(DOTS):
            x[i, :, r + dr * DOT_GAP * k, col + dc * DOT_GAP * k] += level
    return x


#: Checks whose failure leaves nothing else to judge: the verdicts of the checks after
#: them are "not run", and the worker ends its run when it sees one fail for sure.
GATES = ("load", "shapes")


def worker_checks(spec: JudgeSpec) -> list[str]:
    return [c for c in spec.checks if c not in TRUSTED_ONLY]


def _wire(ts: list[torch.Tensor]) -> list[torch.Tensor]:
    """Masks travel as uint8 (the wire has no bool); the worker turns them back."""
    return [t.to(torch.uint8) if t.dtype == torch.bool else t for t in ts]


def build_request(
    task: Coding,
    source: str,
    probes: Probes,
    device: str,
    *,
    plan: RefPlan | None = None,
    step: StepPlan | None = None,
    optim: OptimPlan | None = None,
    loop: LoopPlan | None = None,
    dist: DistPlan | None = None,
    inc: IncrementalPlan | None = None,
    checks: list[str] | None = None,
    perturb: list[int] | None = None,
) -> bytes:
    """The one frame the worker reads: the source text, the entry to build, the seed
    and, per check, the inputs the judge chose. `checks` and `perturb` make the
    request for a task's own reference solution (see `quizzer.judge.equivalence`)."""
    spec = task.spec
    params: dict[str, dict[str, Any]] = {
        "load": {"xs": _wire(probes.inputs(DEVICE_BATCH))},
        "forbidden_api": {"xs": _wire(probes.inputs(DEVICE_BATCH))},
        "shapes": {
            "xs": _wire(probes.inputs()),
            "batch_sizes": list(probes.batch_sizes),
            # what makes the verdict fail for sure, so that the run can end there
            "expect": {str(b): list(concrete(spec.output_shape, b)) for b in probes.batch_sizes},
            "per_sample": spec.per_sample,
        },
        "device": {"xs": _wire(probes.inputs(DEVICE_BATCH))},
        "gradients": {
            "xs": _wire([probes.x_grad, *probes.extra_grad]),
            "names": input_names(spec),
            "u": probes.u,
            "eps": spec.gradients.eps,
            "eps32": STEP32,
            "rtol": spec.gradients.rtol,
            "atol": spec.gradients.atol,
            "dtype": spec.input_dtype,
            "directions": spec.gradients.directions,
            "dir_seed": probes.dir_seed,
        },
        "train_eval": {},
        "promises": {"xs": _wire(probes.inputs())},
        "learning": {
            "x": probes.learn_x,
            "y": probes.learn_y,
            "loss": spec.learning.loss,
            "steps": spec.learning.steps,
            "optimizer": spec.learning.optimizer.model_dump(),
        },
    }
    if plan is not None or perturb is not None:
        params["reference"] = _reference_params(spec, plan, perturb)
    if probes.dropout_x is not None:
        params["dropout"] = {"x": probes.dropout_x, "g": probes.dropout_g}
    if step is not None and spec.train_step is not None:
        ts = spec.train_step
        params["train_step"] = {
            "layers": [list(layer) for layer in ts.layers],
            "state": step.state,
            "stale": list(step.stale),
            "xs": list(step.xs),
            "ys": list(step.ys),
            "optimizer": ts.optimizer.model_dump(),
            "loss": ts.loss,
            "max_norm": list(step.max_norms) or ts.max_norm,
        }
    if optim is not None:
        params["optimizer"] = optimizer_params(optim)
    if loop is not None:
        params["resume"] = resume_params(loop)
    if dist is not None:
        params["distribution"] = distribution_params(dist)
    if inc is not None:
        params["incremental"] = incremental_params(spec, inc)
    if spec.collate is not None:
        params["collate"] = collate_params(spec.collate, probes.seed)
    names = worker_checks(spec) if checks is None else checks
    header = {
        "v": 1,
        "nonce": probes.nonce,
        "source": source,
        "class_name": task.class_name,
        "entry": spec.entry,
        "init": dict(spec.init),
        "outputs": [{"name": o.name, "dtype": o.dtype, "scalar": o.scalar} for o in spec.outputs],
        "bool_args": bool_args(spec),
        "forbidden": list(spec.forbidden_apis),
        "device": device,
        "seed": probes.seed,
        "threads": 1,
        "capture_chars": CAPTURE_CHARS,
        "checks": [{"name": name, "gate": name in GATES, **params[name]} for name in names],
    }
    body, blobs = pack(header)
    return encode_frame(body, blobs)


def optimizer_params(plan: OptimPlan) -> dict[str, Any]:
    """The optimizer check's groups, gradients and closure steps (never its expected
    parameters)."""
    return {
        "groups": [
            {"params": list(g), "options": dict(o)}
            for g, o in zip(plan.groups, plan.options, strict=True)
        ],
        "sizes": [len(g) for g in plan.groups],
        "defaults": dict(plan.defaults),
        "junk_defaults": dict(plan.junk_defaults),
        "grads": [list(row) for row in plan.grads],
        "closures": [list(pair) for pair in plan.closures],
        "steps": len(plan.grads),
        "resume_at": plan.resume_at,
    }


def distribution_params(plan: DistPlan) -> dict[str, Any]:
    """The distribution check's logits, settings and seeds (never its targets)."""
    return {
        "cases": [
            {
                "logits": c.logits,
                "temperature": c.temperature,
                "top_k": c.top_k,
                "top_p": c.top_p,
                "seed": c.seed,
                "global_seeds": list(c.global_seeds),
                "draws": plan.draws,
            }
            for c in plan.cases
        ]
    }


def incremental_params(spec: JudgeSpec, plan: IncrementalPlan) -> dict[str, Any]:
    """The incremental check's sequence, chunk schedules and dtypes, with the state to
    load (or, for the reference solution's own run, the seed it randomises one with)."""
    assert spec.incremental is not None
    done: dict[str, Any] = {
        "x": plan.x,
        "schedules": [list(s) for s in plan.schedules],
        "dtypes": list(spec.incremental.dtypes),
    }
    if plan.perturb is not None:
        done["perturb"] = plan.perturb
    else:
        done["state"] = plan.state
    return done


def resume_params(plan: LoopPlan) -> dict[str, Any]:
    """The resume check's model, objects, seeds and batches (never its replay)."""
    return {
        "model": list(plan.model),
        "state": plan.state,
        "objects": dict(plan.objects),
        "junk_objects": dict(plan.junk_objects),
        "seed": plan.seed,
        "junk_build_seed": plan.junk_build_seed,
        "junk_seed": plan.junk_seed,
        "accum_steps": plan.accum_steps,
        "epochs": [
            {"batches": [list(b) for b in batches], "max_norm": norm}
            for batches, norm in plan.epochs
        ],
        "eval": [list(b) for b in plan.eval],
    }


def collate_params(spec: CollateSpec, seed: int) -> dict[str, Any]:
    """The collate check's calls (sample lists, pad ids, multiples) and, with a
    sampler, its lengths, bound and seeds: all drawn from the run's seed."""
    calls = [
        {
            "tokens": list(c.tokens),
            "labels": list(c.labels),
            "pad_id": c.pad_id,
            "multiple": c.multiple,
        }
        for c in collate_cases.cases(spec, seed)
    ]
    sampler = None
    if spec.sampler is not None:
        s = collate_cases.sampler_case(spec, seed)
        sampler = {
            "name": spec.sampler,
            "lengths": list(s.lengths),
            "max_tokens": s.max_tokens,
            "seeds": list(s.seeds),
        }
    return {"cases": calls, "sampler": sampler}


def _reference_params(spec: JudgeSpec, plan: RefPlan | None, perturb: list[int] | None) -> dict:
    """The trials' inputs, and per trial the state to load, or (for the task's own
    reference solution) the seed it randomises its state with."""
    ref = spec.reference
    runs = [{"mode": m, "dtype": d} for m in ref.modes for d in ref.dtypes]
    assert plan is not None
    trials: list[dict[str, Any]] = []
    for i, t in enumerate(plan.trials):
        trial: dict[str, Any] = {"xs": _wire(list(t.inputs))}
        if t.init:
            trial["init"] = dict(t.init)
        if perturb is not None:
            trial["perturb"] = perturb[i]
        elif t.state is not None:
            trial["state"] = t.state
        trials.append(trial)
    return {"trials": trials, "runs": runs, "buffers": ref.buffers}


def directions(dir_seed: int, groups: list[tuple[str, tuple[int, ...]]], per_group: int):
    """The random directions the worker was told to use, regenerated here in the same
    order (input first, then each trainable parameter)."""
    gen = torch.Generator().manual_seed(dir_seed)
    for name, shape in groups:
        yield (
            name,
            [torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(per_group)],
        )

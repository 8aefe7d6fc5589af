"""The reference check's plan: trials of inputs and random states, and what a correct
solution outputs for each, worked out before the submission runs.

Called by `quizzer.judge.runner`. The expectation comes from one of two places, both
outside the submission's sandbox:

- a torch built-in (`spec.reference.builtin`), built and run here, on the trusted side,
  with the state the judge gives it; or
- the task's own reference solution, run in a worker of its own (the submission's
  worker never sees it). It randomises its state from the judge's seeds and sends
  back that state and its outputs, which the judge checks and keeps. The result is
  cached per task, reference text, seed and device, so `bank verify` runs each
  reference once.

States are randomised by `worker.checks.perturb_state`, one rule for both, so that a
submission that ignores a parameter (LayerNorm's weight, say) cannot match by luck.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import replace
from typing import Any

import torch

from quizzer.bank.models import Coding, JudgeSpec, ReferenceSpec
from quizzer.errors import JudgeError
from quizzer.judge import explain
from quizzer.judge.facts import Context, Malformed
from quizzer.judge.plans import Expected, RefPlan, Run, Trial
from quizzer.judge.probes import Probes, build_request, concrete, make_input
from quizzer.judge.rng import seeded
from quizzer.judge.sandbox.base import RunRequest, Sandbox
from quizzer.judge.tensors import unpack
from quizzer.judge.wire import WireError
from quizzer.judge.worker.checks import perturb_state

#: Plans kept; `bank verify` needs one per task (its seed is fixed).
CACHE_SIZE = 64
_CACHE: dict[tuple[Any, ...], RefPlan] = {}
_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}
_GUARD = threading.Lock()


def runs_of(spec: JudgeSpec) -> tuple[Run, ...]:
    ref = spec.reference
    return tuple(Run(m, d) for m in ref.modes for d in ref.dtypes)


def trial_inputs(spec: JudgeSpec, seed: int) -> list[tuple[tuple[torch.Tensor, ...], float]]:
    """Each trial's inputs (floats in float64, masks as bool) and its input scale; with
    `reference.zero_vectors`, some vectors of the first input are zeros (at most half)."""
    ref = spec.reference
    gen = torch.Generator().manual_seed(seed * 2 + 1)
    out = []
    for i in range(ref.trials):
        scale = ref.input_scales[i % len(ref.input_scales)]
        b = ref.batch_size
        config = ref.config(i)
        shape = concrete((config and config.input_shape) or spec.input_shape, b)
        xs = [torch.randn(shape, generator=gen, dtype=torch.float64)]
        if ref.zero_vectors:  # padding tokens, which tie every expert of a bias-free gate
            rows = xs[0].view(-1, shape[-1])
            count = min(ref.zero_vectors, rows.shape[0] // 2)
            rows[torch.randperm(rows.shape[0], generator=gen)[:count]] = 0.0
        init = {**spec.init, **(config.init if config else {})}
        for s in spec.extra_inputs:
            if config and s.name in config.extra_inputs:
                s = s.model_copy(update={"shape": config.extra_inputs[s.name]})
            xs.append(make_input(s, b, gen, torch.float64, init))
        out.append((tuple(t * scale if t.is_floating_point() else t for t in xs), scale))
    return out


def perturb_seeds(seed: int, trials: int) -> list[int]:
    gen = torch.Generator().manual_seed(seed * 2 + 2)
    return [int(v) for v in torch.randint(0, 2**31 - 1, (trials,), generator=gen)]


def plan_reference(task: Coding, probes: Probes, device: str, sandbox: Sandbox) -> RefPlan:
    if task.spec.reference.builtin is not None:
        return builtin_plan(task, probes.seed)
    return solution_plan(task, probes, device, sandbox)


def resolve_builtin(task: Coding) -> Any:
    name = task.spec.reference.builtin or ""
    obj: Any = torch
    for part in name.split(".")[1:]:
        obj = getattr(obj, part, None)
    if not callable(obj):
        raise JudgeError(
            f"task {task.id}: spec.reference.builtin '{name}' is not a torch callable "
            f"in torch {torch.__version__}"
        )
    return obj


def _as_dtype(xs: tuple[torch.Tensor, ...], dtype: str) -> list[torch.Tensor]:
    dt = getattr(torch, dtype)
    return [t.to(dt) if t.is_floating_point() else t for t in xs]


def builtin_plan(task: Coding, seed: int) -> RefPlan:
    """Trials computed here with the built-in, in the state the submission will get."""
    spec, ref = task.spec, task.spec.reference
    fn = resolve_builtin(task)
    is_module = isinstance(fn, type) and issubclass(fn, torch.nn.Module)
    init = dict(spec.init if ref.init is None else ref.init)
    back = {v: k for k, v in ref.rename.items()}  # the built-in's key -> the submission's
    runs = runs_of(spec)
    trials = []
    inputs = trial_inputs(spec, seed)
    for i, ((xs, scale), pseed) in enumerate(
        zip(inputs, perturb_seeds(seed, len(inputs)), strict=True)
    ):
        state = base = params = None
        config = ref.config(i)
        built = {**init, **(config.init if config else {})}
        if is_module:
            base, trained = _module_state(task, fn, built, pseed)
            state = {back.get(k, k): v for k, v in base.items()}
            params = tuple(back.get(n, n) for n in trained)
        expected = []
        for run in runs:
            with torch.no_grad():
                if is_module:
                    m = fn(**built)
                    m.load_state_dict(base)
                    m = m.to(getattr(torch, run.dtype))
                    m.train(run.mode == "train")
                    out = m(*_as_dtype(xs, run.dtype), **ref.kwargs)
                else:
                    out = fn(*_as_dtype(xs, run.dtype), **ref.kwargs)
            if ref.output is not None:
                out = out[ref.output]
            buffers = None
            if ref.buffers and is_module:
                buffers = {back.get(k, k): v.clone() for k, v in m.named_buffers()}
            expected.append(Expected(out.detach().clone(), buffers))
        trials.append(Trial(xs, scale, state, tuple(expected), config, params))
    return RefPlan(f"torch built-in {ref.builtin}", runs, tuple(trials))


def _module_state(
    task: Coding, fn: Any, init: dict[str, Any], pseed: int
) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The built-in's randomised state for one trial, and its trainable parameters."""
    with seeded(pseed):
        try:
            m = fn(**init)
        except (TypeError, ValueError) as exc:
            raise JudgeError(
                f"task {task.id}: cannot build {task.spec.reference.builtin}(**{init}): {exc}; "
                "fix spec.reference.init"
            ) from None
    perturb_state(m, pseed)
    trained = [n for n, t in m.named_parameters() if t.requires_grad]
    return {k: v.detach().clone() for k, v in m.state_dict().items()}, trained


# --- the task's own reference solution, in its own worker ------------------------


def solution_plan(task: Coding, probes: Probes, device: str, sandbox: Sandbox) -> RefPlan:
    name = f"reference solution {task.reference}"
    if task.source_file is None:
        return RefPlan(
            name,
            problem="the task was not loaded from a bank file, so its "
            "reference solution cannot be found",
        )
    path = task.source_file.parent / task.reference
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return RefPlan(name, problem=f"cannot read {path}: {exc}")
    digest = hashlib.sha256(source.encode()).hexdigest()
    key = (task.id, digest, probes.seed, device, task.spec.model_dump_json())
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        with _GUARD:
            cached = _CACHE.get(key)
        if cached is not None:
            return cached
        plan = _run_solution(task, source, probes, device, sandbox, name)
        if plan.problem is None:  # a failure may be passing (a busy machine): try again
            with _GUARD:
                _CACHE[key] = plan
                while len(_CACHE) > CACHE_SIZE:  # each judged file may bring its own seed
                    oldest = next(iter(_CACHE))
                    _CACHE.pop(oldest)
                    _LOCKS.pop(oldest, None)
        return plan


def _run_solution(
    task: Coding, source: str, probes: Probes, device: str, sandbox: Sandbox, name: str
) -> RefPlan:
    from quizzer.judge.verdicts import read_reply

    spec = task.spec
    inputs = trial_inputs(spec, probes.seed)
    runs = runs_of(spec)
    skeleton = RefPlan(
        name,
        runs,
        tuple(
            Trial(xs, s, None, (), config=spec.reference.config(i))
            for i, (xs, s) in enumerate(inputs)
        ),
    )
    own = replace(probes, nonce=secrets.token_hex(16))
    payload = build_request(
        task,
        source,
        own,
        device,
        plan=skeleton,
        checks=["load", "reference"],
        perturb=perturb_seeds(probes.seed, len(inputs)),
    )
    outcome = sandbox.run(RunRequest(payload=payload, limits=spec.limits, device=device))
    ctx = Context(task=task, probes=own, device=device)
    reply = read_reply(ctx, outcome, expected=["load", "reference"])
    loaded, ran = reply.checks.get("load"), reply.checks.get("reference")
    for frame, doing in ((loaded, "loading it"), (ran, "running the trials")):
        error = frame.header.get("error") if frame is not None else None
        if error is not None and not reply.tampered:
            # Its frames name the reference's file, not the submission's.
            problem = explain.name_file(explain.exception(error, doing), task.reference)
            return RefPlan(name, problem=problem)
    if loaded is not None and ran is None and not reply.tampered and reply.ended:
        return RefPlan(name, problem=f"it does not define {task.class_name} as the task's entry")
    if reply.tampered or ran is None:
        tail = explain.cap(outcome.output.strip()[-300:], 300)
        why = reply.tampered or reply.problem or f"exit status {outcome.exit_code}"
        return RefPlan(
            name, problem=f"its worker did not finish ({why})" + (f": {tail}" if tail else "")
        )
    try:
        data = unpack(ran.header.get("data"), ran.blobs)
        trials = _solution_trials(data, inputs, len(runs), spec.reference)
    except (Malformed, WireError, KeyError, TypeError, ValueError) as exc:
        return RefPlan(name, problem=f"its report is malformed ({exc})")
    return RefPlan(name, runs, trials)


def _tensor(value: Any, what: str) -> torch.Tensor:
    if type(value) is not torch.Tensor:
        raise Malformed(f"{what} is not a tensor")
    return value


def _solution_trials(
    data: Any,
    inputs: list[tuple[tuple[torch.Tensor, ...], float]],
    runs: int,
    ref: ReferenceSpec,
) -> tuple[Trial, ...]:
    buffers = ref.buffers
    raw = data.get("trials") if isinstance(data, dict) else None
    if not isinstance(raw, list) or len(raw) != len(inputs):
        raise Malformed("wrong number of trials")
    trials = []
    for i, (rec, (xs, scale)) in enumerate(zip(raw, inputs, strict=True)):
        state = None
        if isinstance(rec.get("state"), dict):
            state = {str(k): _tensor(v, f"state {k}") for k, v in rec["state"].items()}
        done = rec.get("runs")
        if not isinstance(done, list) or len(done) != runs:
            raise Malformed("wrong number of runs")
        expected = []
        for r in done:
            out = _tensor(r.get("out"), "output")
            if not out.is_floating_point() or not bool(torch.isfinite(out).all()):
                raise Malformed("the reference output is not finite floating point")
            bufs = None
            if buffers and isinstance(r.get("buffers"), dict):
                bufs = {str(k): _tensor(v, f"buffer {k}") for k, v in r["buffers"].items()}
            expected.append(Expected(out, bufs))
        params = rec.get("params")
        names = tuple(str(n) for n in params) if isinstance(params, list) else None
        trials.append(Trial(xs, scale, state, tuple(expected), ref.config(i), names))
    return tuple(trials)

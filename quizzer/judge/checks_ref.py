"""Verdicts of the forbidden_api (run-time half), reference and dropout checks.

Called by `quizzer.judge.verdicts` with the facts the worker sent. The reference check
compares the submission's outputs with the plan the judge made before the run
(`quizzer.judge.equivalence`): same state, same inputs, every trial, mode and dtype,
within the spec's per-dtype tolerances, and refuses to decide where the expected
output is so small that the tolerance alone would let a near-zero output through.
The dropout check reads the train-mode output as a mask and tests its statistics.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from quizzer.judge import explain
from quizzer.judge.facts import (
    CheckFailed,
    Context,
    Malformed,
    Unjudgeable,
    get,
    input_text,
    output,
    shape_text,
    tensor,
)
from quizzer.judge.plans import Expected, RefPlan, Run, Trial
from quizzer.judge.probes import input_names
from quizzer.judge.result import Metric
from quizzer.judge.ties import accept_ties

Verdict = tuple[str, dict[str, Metric]]

#: The expected output's root mean square must exceed the absolute tolerance this
#: many times, or the absolute tolerance alone could pass an output near zero.
SCALE_GUARD = 100.0
#: How many standard deviations a dropout statistic may stray before it fails.
SIGMAS = 6.0


def forbidden_api(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    """The syntax tree was clean (else the runner failed the check already); here the
    worker's run-time probe: forbidden classes built or called, forbidden functions
    reached by any route."""
    names = ", ".join(ctx.task.spec.forbidden_apis)
    if error is not None:
        raise CheckFailed(explain.exception(error, "building the model for the API probe"))
    found = [str(n) for n in get(data, "found", list)][:10]
    if found:
        raise CheckFailed(
            f"uses APIs this task forbids: {', '.join(found)} (seen at run time, though "
            "the source does not name them: reached through getattr, an alias or a "
            "subclass?)",
            forbidden=found,
            probe="run time",
        )
    probe_error = data.get("error")
    if isinstance(probe_error, dict):
        later = "optimizer" if ctx.task.spec.entry == "optimizer" else "shapes"
        return (
            f"none of {names} in the source; the run-time probe stopped early "
            f"({explain.cap(str(probe_error.get('type')), 40)}), see the {later} check",
            {"probe": "inconclusive"},
        )
    return f"none of {names} is used (source and a run-time probe)", {"probe": "clean"}


# --- reference ----------------------------------------------------------------------


def reference(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    plan = ctx.plan
    if plan is None:
        raise Malformed("no reference plan")
    if plan.problem:
        raise Unjudgeable(
            f"the task's {plan.source} could not give the expected outputs, so nothing can "
            f"be compared (a problem of the task, not of the submission): {plan.problem}"
        )
    module = ctx.task.spec.entry == "module"
    raw = get(data, "trials", list)
    for index, (rec, trial) in enumerate(zip(raw, plan.trials, strict=False)):
        if not isinstance(rec, dict):
            raise Malformed("trial record")
        if module and trial.state is not None:
            config = f"trial {index + 1} ({_config_text(ctx, trial)}): " if trial.config else ""
            _keys(rec.get("keys"), trial.state, config)
            if trial.params is not None:
                _trainable(rec.get("params"), trial.params)
    if error is not None:
        doing = _doing(ctx, plan, raw, error)
        raise CheckFailed(explain.exception(error, doing))
    if len(raw) != len(plan.trials):
        raise Malformed("wrong number of trials")
    worst = 0.0
    for index, (rec, trial) in enumerate(zip(raw, plan.trials, strict=True)):
        runs = rec.get("runs")
        if not isinstance(runs, list) or len(runs) != len(plan.runs):
            raise Malformed("wrong number of runs")
        for run, done, want in zip(plan.runs, runs, trial.expected, strict=True):
            if not isinstance(done, dict):
                raise Malformed("run record")
            where = _where(ctx, index, run, trial)
            rounding = _rounding(plan, trial, run, want)
            try:
                out = done.get("out")
                worst = max(worst, _compare_out(ctx, out, want, run, where, rounding, trial))
            except CheckFailed as failed:
                sample = failed.metrics.get("sample", "none given")
                if sample is not None and type(sample) is not int:
                    raise
                element = _packed_element(ctx, trial, failed.metrics.get("index"))
                raise CheckFailed(
                    failed.message + element + "; " + _input_text(ctx, trial, sample),
                    **failed.metrics,
                ) from None
            if ctx.task.spec.reference.buffers and module:
                _compare_buffers(ctx, done.get("buffers"), want, run, where)
    ref = ctx.task.spec.reference
    tol = {d: [ref.tolerance(d).rtol, ref.tolerance(d).atol] for d in ref.dtypes}
    return (
        f"matches the {plan.source} on {len(plan.trials)} trials x {len(plan.runs)} runs "
        f"({_runs_text(plan)}) with the judge's state and inputs",
        {
            "trials": len(plan.trials),
            "runs": len(plan.runs),
            "worst_error_over_tolerance": round(worst, 6),
            **{f"rtol_atol_{d}": v for d, v in tol.items()},
        },
    )


def _packed_element(ctx: Context, trial: Trial, index: Any) -> str:
    """Which element of a packed tuple output (`spec.outputs`) the failing column
    belongs to, as a clause for the message ("" when the output is not packed)."""
    spec = ctx.task.spec
    if not spec.outputs or not isinstance(index, list) or not index:
        return ""
    init = {**spec.init, **(trial.init or {})}
    column, start = index[-1], 0
    for element in spec.outputs:
        width = element.width
        size = 1 if width is None else width if isinstance(width, int) else init.get(width)
        if not isinstance(size, int):
            return ""
        if column < start + size:
            at = "" if width is None else f", column {column - start}"
            return f" (that is {element.name}{at}: the judge packs the outputs " + (
                f"({', '.join(o.name for o in spec.outputs)}) along the last dimension)"
            )
        start += size
    return ""


def _runs_text(plan: RefPlan) -> str:
    modes: dict[str, list[str]] = {}
    for run in plan.runs:
        modes.setdefault(run.mode, []).append(run.dtype)
    return "; ".join(f"{m} mode in {' and '.join(ds)}" for m, ds in modes.items())


def _doing(ctx: Context, plan: RefPlan, raw: list[Any], error: Any) -> str:
    """What the failing request was doing: building, loading the state or a forward,
    in which trial, run and configuration."""
    index = max(len(raw) - 1, 0)
    runs = raw[-1].get("runs") if raw and isinstance(raw[-1], dict) else None
    done = len(runs) if isinstance(runs, list) else 0
    op = error.get("op") if isinstance(error, dict) else None
    trial = plan.trials[index] if index < len(plan.trials) else None
    config = f" ({_config_text(ctx, trial)})" if trial is not None and trial.config else ""
    if op in ("build", "state"):
        return f"trial {index + 1}{config}: building the model"
    if op == "load_state":
        return f"trial {index + 1}{config}: loading the judge's state_dict"
    run = plan.runs[done] if done < len(plan.runs) else None
    if trial is not None and run is not None:
        return f"{_where(ctx, index, run, trial)}: forward"
    return f"trial {index + 1}{config}: forward"


def _config_text(ctx: Context, trial: Trial) -> str:
    """A trial's configuration in words: the constructor arguments it overrides and
    its inputs' shapes, where those differ from the task's own."""
    config = trial.config
    if config is None:
        return ""
    parts = []
    if config.init:
        parts.append("built with " + ", ".join(f"{k}={v!r}" for k, v in config.init.items()))
    if config.input_shape or config.extra_inputs:
        names = ["", *(f"{n.removeprefix('input ')} " for n in input_names(ctx.task.spec)[1:])]
        shapes = ", ".join(
            f"{name}{shape_text(t.shape)}" for name, t in zip(names, trial.inputs, strict=False)
        )
        parts.append(f"input shapes {shapes}")
    return "; ".join(parts)


def _input_text(ctx: Context, trial: Trial, sample: int | None) -> str:
    """The failing sample's inputs: shapes and first values (scaled, in float64); the
    whole trial's when the output has no batch dimension (a loss reduced over it)."""
    shown = input_text(list(trial.inputs), input_names(ctx.task.spec), sample)
    if sample is None:
        return f"that trial's inputs are {shown}"
    return f"sample {sample} of that trial has {shown}"


def _where(ctx: Context, index: int, run: Run, trial: Trial) -> str:
    scale = f", inputs scaled by {trial.scale:g}" if trial.scale != 1.0 else ""
    built = f"; {_config_text(ctx, trial)}" if trial.config else ""
    return f"trial {index + 1} ({run.describe()}{scale}{built})"


def _trainable(raw: Any, want: tuple[str, ...]) -> None:
    """What is a trainable nn.Parameter in the task's solution must be one here too:
    the same state_dict key held as a buffer loads and computes alike, but is never
    trained. And the other way round: what the solution keeps frozen (a buffer, or a
    parameter with requires_grad=False, such as a LoRA layer's base weights) must not
    be trainable here, or an optimiser would change it."""
    if not isinstance(raw, list):
        raise Malformed("parameter names")
    got = {str(n) for n in raw}
    missing = [k for k in want if k not in got]
    if missing:
        raise CheckFailed(
            f"{', '.join(missing[:10])} {'is' if len(missing) == 1 else 'are'} not a "
            "trainable nn.Parameter in this model (a buffer, a plain tensor attribute, or "
            "requires_grad=False?), but the task's solution trains "
            f"{'it' if len(missing) == 1 else 'them'}: an optimiser would never change "
            f"{'it' if len(missing) == 1 else 'them'}. Use self.name = "
            "nn.Parameter(tensor) instead of register_buffer or a plain attribute",
            not_trainable=missing[:10],
        )
    extra = sorted(got - set(want))
    if extra:
        raise CheckFailed(
            f"{', '.join(extra[:10])} {'is' if len(extra) == 1 else 'are'} trainable in "
            "this model (an nn.Parameter with requires_grad=True), but the task's solution "
            f"keeps {'it' if len(extra) == 1 else 'them'} frozen: an optimiser would change "
            f"{'it' if len(extra) == 1 else 'them'}. Set requires_grad=False on "
            f"{'it' if len(extra) == 1 else 'them'} (or register a buffer), as the "
            "statement asks",
            frozen_trainable=extra[:10],
        )


def _keys(raw: Any, state: dict[str, torch.Tensor], where: str) -> None:
    """The submission's state_dict must have the task's keys and shapes, so that the
    judge's state can be loaded into it. `where` names a configuration other than the
    task's own."""
    if not isinstance(raw, list):
        raise Malformed("state_dict keys")
    got: dict[str, tuple[int, ...]] = {}
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)):
            raise Malformed("state_dict keys")
        got[str(item[0])] = tuple(int(d) for d in item[1])
    want = {k: tuple(v.shape) for k, v in state.items()}
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    wrong = [
        f"{k} is {shape_text(got[k])}, expected {shape_text(want[k])}"
        for k in want
        if k in got and got[k] != want[k]
    ]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing[:10]))
    if extra:
        problems.append("unexpected " + ", ".join(extra[:10]))
    if wrong:
        problems.append("; ".join(wrong[:5]))
    if problems:
        expected = ", ".join(f"{k} {shape_text(s)}" for k, s in want.items())
        raise CheckFailed(
            f"{where}the model's state_dict does not fit the task's ({'; '.join(problems)}); "
            f"the judge loads a state with exactly: {expected}"
            + ("; the statement promises this configuration too" if where else ""),
            missing=missing[:10],
            unexpected=extra[:10],
        )


#: How many times its own rounding error a float32 run may be off: the solution's
#: float32 output against its float64 output on the same trial measures how much
#: rounding this computation suffers at this scale (attention at 10x scale suffers
#: far more than its 1e-4 tolerance), and another correct float32 computation may
#: round differently by a few times that.
ROUNDING_FACTOR = 16.0


def _rounding(plan: RefPlan, trial: Trial, run: Run, want: Expected) -> float:
    """The absolute error the expected output itself carries from rounding in `run`'s
    dtype: its largest difference from the float64 run of the same mode (0 when the
    run is float64 or there is none)."""
    if run.dtype == "float64":
        return 0.0
    for other, ref in zip(plan.runs, trial.expected, strict=True):
        if other.mode == run.mode and other.dtype == "float64" and ref.out.shape == want.out.shape:
            return ROUNDING_FACTOR * float((want.out.double() - ref.out.double()).abs().max())
    return 0.0


def _compare_out(
    ctx: Context,
    value: Any,
    want: Expected,
    run: Run,
    where: str,
    rounding: float = 0.0,
    trial: Trial | None = None,
) -> float:
    got = output(value, tuple(want.out.shape), f"{where}: output")
    if str(got.dtype).removeprefix("torch.") != run.dtype:
        raise CheckFailed(
            f"{where}: the output is {got.dtype} for {run.dtype} inputs and state; compute in "
            "the input's dtype (no hard-coded dtype or .float())",
            dtype=str(got.dtype),
        )
    spec = ctx.task.spec
    if trial is not None and spec.reference.ties:  # an equally good answer is right too
        got = accept_ties(spec, trial, got, want.out, spec.reference.tolerance(run.dtype), rounding)
    return _close(ctx, got, want.out, run, where, "output", rounding)


def _close(
    ctx: Context,
    got: torch.Tensor,
    want: torch.Tensor,
    run: Run,
    where: str,
    what: str,
    rounding: float = 0.0,
) -> float:
    tol = ctx.task.spec.reference.tolerance(run.dtype)
    g, w = got.double(), want.double()
    rms = float(w.pow(2).mean().sqrt()) if w.numel() else 0.0
    if rms < SCALE_GUARD * tol.atol:
        raise Unjudgeable(
            f"{where}: the expected {what} has root mean square {rms:.3g}, too close to zero "
            f"for an absolute tolerance of {tol.atol:g} to tell solutions apart; the task's "
            "probes need a larger scale (a problem of the task, not of the submission)"
        )
    diff = (g - w).abs()
    allowed = tol.atol + rounding + tol.rtol * w.abs()
    over = diff / allowed
    worst = float(over.max()) if over.numel() else 0.0
    if worst > 1.0:
        at = int(over.flatten().argmax())
        idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(at), w.shape))
        rel = float((g - w).norm() / w.norm())
        bad = int((over > 1.0).sum())
        raise CheckFailed(
            f"{where}: the {what} differs from the {ctx.plan.source if ctx.plan else 'reference'} "
            f"at {bad} of {w.numel()} elements; worst at index {list(idx)}: got "
            f"{float(g.flatten()[at]):.6g}, expected {float(w.flatten()[at]):.6g} (allowed "
            f"|difference| <= {tol.atol:g}{f' + {rounding:.2g} (rounding)' if rounding else ''}"
            f" + {tol.rtol:g} * |expected|); relative error "
            f"{rel:.3g} overall",
            max_difference=float(diff.max()),
            relative_error=rel,
            rtol=tol.rtol,
            atol=tol.atol,
            mismatched=bad,
            sample=idx[0] if idx else None,  # None: a 0-d output, every sample made it
            index=list(idx),
        )
    return worst


def _compare_buffers(ctx: Context, value: Any, want: Expected, run: Run, where: str) -> None:
    if want.buffers is None:
        return
    if not isinstance(value, dict):
        raise Malformed("buffers")
    missing = [k for k in want.buffers if k not in value]
    if missing:
        raise CheckFailed(f"{where}: after forward the model has no buffer {missing[0]}")
    for key, expected in want.buffers.items():
        got = tensor(value[key], f"buffer {key}")
        if tuple(got.shape) != tuple(expected.shape):
            raise CheckFailed(f"{where}: buffer {key} has shape {shape_text(got.shape)}")
        if not expected.is_floating_point():
            if not torch.equal(got.long(), expected.long()):
                raise CheckFailed(
                    f"{where}: after forward buffer {key} is {got.tolist()}, expected "
                    f"{expected.tolist()}"
                )
            continue
        try:
            _close(ctx, got, expected, run, where, f"buffer {key} after forward")
        except CheckFailed as failed:
            if not key.endswith(("running_mean", "running_var")):
                raise
            raise CheckFailed(
                failed.message + "; running statistics move by momentum * (batch statistic - "
                "running), with PyTorch's default momentum 0.1, in train mode only",
                **failed.metrics,
            ) from None


# --- dropout ------------------------------------------------------------------------


def dropout(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    spec = ctx.task.spec.dropout
    x, g = ctx.probes.dropout_x, ctx.probes.dropout_g
    if spec is None or x is None or g is None:
        raise Malformed("no dropout probe")
    p, keep = spec.p, 1.0 - spec.p
    shape = tuple(x.shape)
    if "out" in data:  # a wrong output explains a failing backward better than its error
        output(data.get("out"), shape, "train-mode output")
    if error is not None:
        raise CheckFailed(explain.exception(error, "forward and backward in train mode"))
    out = output(data.get("out"), shape, "train-mode output").double()
    xd = x.double()
    after = tensor(data.get("input_after"), "input after forward")
    if tuple(after.shape) != shape or not torch.equal(after.double(), xd):
        raise CheckFailed(
            "forward changed its input in place; return a new tensor (x * mask / (1 - p))"
        )
    kept = out != 0
    n = kept.numel()
    dropped = 1.0 - float(kept.double().mean())
    scale_err = (out - xd / keep).abs() > 1e-5 * (xd / keep).abs() + 1e-6
    wrong = int((scale_err & kept).sum())
    metrics: dict[str, Metric] = {"p": p, "dropped_fraction": round(dropped, 5), "elements": n}
    if wrong:
        ratio = float(torch.median(out[kept] / xd[kept])) if bool(kept.any()) else float("nan")
        hint = " (is p used as the keep probability?)" if abs(ratio * p - 1) < 1e-3 else ""
        raise CheckFailed(
            f"in train mode {wrong} of {int(kept.sum())} kept elements are not x / (1 - p): "
            f"they are x * {ratio:.4g}, expected x * {1 / keep:.4g}{hint}; inverted dropout "
            "scales the kept elements by 1 / (1 - p) in training so that eval needs no change",
            **metrics,
            kept_scale=ratio,
        )
    # independence first: a shared mask also makes the dropped fraction noisier
    _independence(kept, p, metrics)
    sd = math.sqrt(p * keep / n)
    if abs(dropped - p) > SIGMAS * sd + 1e-3:
        hint = " (is p used as the keep probability?)" if abs(dropped - keep) < 0.01 else ""
        raise CheckFailed(
            f"in train mode {dropped:.2%} of the elements are dropped; expected p = {p:.0%}{hint}",
            **metrics,
        )
    again = output(data.get("again"), shape, "second train-mode output")
    same = float(((again != 0) == kept).double().mean())
    agree = p * p + keep * keep
    if same > agree + SIGMAS * math.sqrt(agree * (1 - agree) / n) + 1e-3:
        raise CheckFailed(
            f"two train-mode calls drop the same elements ({same:.1%} of positions agree, "
            f"about {agree:.0%} expected): draw a fresh mask on every call",
            **metrics,
        )
    grad = data.get("grad")
    if grad is None:
        raise CheckFailed(f"the input gets no gradient in train mode: {_CUT}", **metrics)
    gt = tensor(grad, "input gradient").double()
    want = g.double() * kept.double() / keep
    if tuple(gt.shape) != shape or not torch.allclose(gt, want, rtol=1e-4, atol=1e-6):
        raise CheckFailed(
            "in train mode the input's gradient is not grad_output * mask / (1 - p)",
            **metrics,
        )
    return (
        f"train mode drops {dropped:.2%} of {n} elements (p = {p:g}) independently, scales the "
        f"rest by 1 / (1 - p), draws a fresh mask per call, and back-propagates through it",
        metrics,
    )


_CUT = "is the graph cut by .detach(), .data or torch.no_grad()?"


def _independence(kept: torch.Tensor, p: float, metrics: dict[str, Metric]) -> None:
    """Neighbouring samples, and neighbouring features, must not share their masks."""
    rows = kept.reshape(kept.shape[0], -1)
    agree = p * p + (1 - p) ** 2
    for dim, what, fix in (
        (0, "every sample drops the same features", "a mask of the input's full shape"),
        (1, "whole samples are dropped at once", "a mask per element, not per sample"),
    ):
        a = rows.narrow(dim, 0, rows.shape[dim] - 1)
        b = rows.narrow(dim, 1, rows.shape[dim] - 1)
        if a.numel() == 0:
            continue
        same = float((a == b).double().mean())
        sd = math.sqrt(agree * (1 - agree) / a.numel())
        if same > agree + SIGMAS * sd + 1e-3:
            raise CheckFailed(
                f"in train mode {what} ({same:.1%} of neighbouring positions agree, about "
                f"{agree:.0%} expected for independent elements): draw {fix}",
                **metrics,
            )

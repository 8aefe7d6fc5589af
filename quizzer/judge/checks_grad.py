"""Verdict of the gradients check: autograd must agree with finite differences.

Called by `quizzer.judge.verdicts`. The worker ran a forward on the judge's batch `x`
twice: in eval mode in the task's dtype, and in training mode in float64 (the task's
dtype for a model that fails in float64) with every forward starting from one random
seed, so that dropout keeps its mask. Each time it took autograd's gradient of the
scalar s = sum(u * f(x)) for the judge's random `u`, and evaluated s at x +- h*v and
theta +- h*v for random directions v drawn from the judge's seed. Here the judge
regenerates the directions, computes autograd's directional derivatives from the
gradients it received, and compares them with the central differences, within a
tolerance that adds the dtype's rounding to the task's (`fd_tolerance`). Where the
one-sided differences disagree, a kink (ReLU, max-pool) lies within the step: the
worker tried that direction again with smaller steps (`fd_steps`), and the first
smooth attempt is compared. A parameter (or input) with no smooth direction at all
fails, so a non-smooth term cannot hide a wrong gradient, and a backward that is off by
a constant factor, wrong only in training mode or only in float32 fails.
"""

from __future__ import annotations

from typing import Any

import torch

from quizzer.judge import explain
from quizzer.judge.facts import (
    CheckFailed,
    Context,
    Malformed,
    close,
    expected_output,
    get,
    max_diff,
    output,
    shape_text,
    tensor,
)
from quizzer.judge.probes import GRAD_BATCH, directions, input_names
from quizzer.judge.result import Metric
from quizzer.judge.worker.gradients import STEP32, fd_rtol, fd_steps, fd_tolerance

_CUT = (
    "the output does not depend on it through autograd: is the graph cut by .detach(), "
    ".data, torch.no_grad(), .item()/.tolist() or a NumPy round trip?"
)


def _grad(value: Any, shape: tuple[int, ...], what: str) -> torch.Tensor | None:
    if value is None:
        return None
    t = tensor(value, what)
    if tuple(t.shape) != shape or not t.is_floating_point():
        raise Malformed(f"{what} has shape {shape_text(t.shape)} / {t.dtype}")
    return t.double()


def gradients(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    spec = ctx.task.spec.gradients
    frozen = [str(n) for n in get(data, "frozen", list)]
    if frozen and not spec.allow_frozen:
        raise CheckFailed(
            f"parameters frozen with requires_grad=False: {', '.join(frozen[:10])}; "
            "every parameter of this task must be trainable",
            frozen=frozen[:10],
        )
    message, metrics, groups, grads = _one_mode(ctx, data, error, "eval")
    train, train_error = _part(data, "train")
    _, train_metrics, _, _ = _one_mode(ctx, train or {}, train_error, "train")
    for key in ("directions_at_kinks", "directions_retried"):
        if key in train_metrics:
            metrics[f"train_{key}"] = train_metrics[key]
    if "precision" not in metrics:  # finite differences turned off by the task
        return message, metrics
    modes = f"eval and training mode in {metrics['precision']}"
    if "task_dtype" in data or "task_dtype_error" in data:
        low, low_error = _part(data, "task_dtype")
        modes += _task_dtype(ctx, low or {}, low_error, groups, grads, metrics)
    return message.replace(" (", f" ({modes}; ", 1), metrics


def _part(data: dict[str, Any], key: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A further run's facts and its error: one of them is there, and is a dict."""
    run, error = data.get(key), data.get(key + "_error")
    if (run is None) == (error is None):
        raise Malformed(f"the {key} run")
    if not isinstance(run or error, dict):
        raise Malformed(f"the {key} run")
    return run, error


#: How far autograd's gradient in the task's dtype may be from the float64 one, per
#: group, relative to the float64 gradient's norm, in machine epsilons of that dtype:
#: about 1e-3 in float32, far above a correct model's rounding, far below a backward
#: that is wrong only in float32.
LOW_GRAD_EPS = 8192


def _task_dtype(
    ctx: Context,
    data: dict[str, Any],
    error: dict[str, Any] | None,
    groups: list[tuple[str, tuple[int, ...]]],
    grads64: list[torch.Tensor | None],
    metrics: dict[str, Metric],
) -> str:
    """Autograd's gradients in the task's dtype against the float64 ones that finite
    differences just proved: a backward that is wrong only in float32 fails here."""
    dtype = ctx.task.spec.input_dtype
    if error is not None:
        raise CheckFailed(explain.exception(error, f"forward and backward in {dtype}"))
    _, low_groups, grads = _parse_run(ctx, data, f"{dtype}, eval mode")
    if low_groups != groups:
        raise Malformed("the task-dtype run's parameters differ from the float64 run's")
    bound = LOW_GRAD_EPS * torch.finfo(getattr(torch, dtype)).eps
    refs = [r for r in grads64 if r is not None]
    # a gradient that is zero in exact arithmetic (a key bias under softmax) is
    # rounding in both dtypes: each group is also allowed the typical entry's size
    rms = (
        float(torch.cat([r.flatten() for r in refs]).norm())
        / max(1, sum(r.numel() for r in refs)) ** 0.5
    )
    worst = 0.0
    for (name, _), g, ref in zip(groups, grads, grads64, strict=True):
        assert g is not None and ref is not None
        size = float(ref.norm())
        allowed = bound * (size + rms * ref.numel() ** 0.5)
        diff = float((g - ref).norm())
        worst = max(worst, diff / allowed)
        if diff > allowed:
            ratio = float((g * ref).sum()) / size**2 if size else float("inf")
            raise CheckFailed(
                f"in {dtype} (the task's dtype) autograd's gradient of {what(name)} is "
                f"{diff:.3g} away from the float64 gradient (norm {size:.3g}), which "
                f"agrees with finite differences (its projection on it is {ratio:.4g} "
                f"times it; allowed: {allowed:.2g}): is a backward wrong only in {dtype}, "
                "e.g. a custom autograd.Function that branches on the dtype?",
                group=name,
                difference=diff,
                tolerance=allowed,
            )
    metrics["task_dtype"] = dtype
    metrics["task_dtype_worst_over_tolerance"] = round(worst, 6)
    return f", autograd in {dtype} agrees with float64"


def _one_mode(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None, mode: str
) -> tuple[str, dict[str, Metric], list, list]:
    """One finite-difference run: (message, metrics, groups, gradients)."""
    spec = ctx.task.spec.gradients
    if error is not None:
        raise CheckFailed(explain.exception(error, f"forward and backward in {mode} mode"))
    out, groups, grads = _parse_run(ctx, data, f"{mode} mode")
    again = output(data.get("again"), tuple(out.shape), "repeated output")
    eps = torch.finfo(out.dtype).eps
    if not close(again, out, rtol=max(1e-7, 64 * eps), atol=max(1e-9, 64 * eps)):
        why = (
            "forward keeps state between calls (a hidden state stored on self?) or is "
            "random in eval mode (dropout applied regardless of self.training?)"
            if mode == "eval"
            else "with the same random seed the model still differs: it draws randomness "
            "outside torch's generator (Python's random, NumPy, the clock?), or its output "
            "depends on state that each forward changes (running statistics used to "
            "normalise in training mode, where the batch's belong?)"
        )
        raise CheckFailed(
            f"two {mode}-mode forward passes on the same batch differ by up to "
            f"{max_diff(again, out):.3g}, so gradients cannot be checked: {why}"
        )
    inputs = len(_input_groups(ctx))
    params = len(groups) - inputs
    if not spec.finite_differences:
        message = (
            f"{_subject(params, inputs)} finite, non-zero gradients (finite differences "
            "turned off by the task)"
        )
        return message, {"groups": len(groups)}, groups, grads
    message, metrics = _finite_differences(ctx, data, groups, grads, out, inputs, mode)
    return message, metrics, groups, grads


def _parse_run(
    ctx: Context, data: dict[str, Any], what_run: str
) -> tuple[torch.Tensor, list[tuple[str, tuple[int, ...]]], list[torch.Tensor | None]]:
    """A run's output, its groups (the judge's inputs, then the parameters) and their
    gradients, each present, finite and not all zero."""
    out = output(data.get("out"), expected_output(ctx, GRAD_BATCH), f"output ({what_run})")
    inputs = _input_groups(ctx)
    raw = get(data, "grads", list)
    names = [str(g[0]) for g in raw if isinstance(g, list) and len(g) == 2]
    if len(names) != len(raw):
        raise Malformed("gradients")
    groups = []
    for item in get(data, "groups", list):
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)):
            raise Malformed("groups")
        groups.append((str(item[0]), tuple(int(d) for d in item[1])))
    if groups[: len(inputs)] != inputs:
        raise Malformed("the first groups must be the judge's inputs")
    if names != [n for n, _ in groups[len(inputs) :]]:
        raise Malformed("gradients do not match the parameter groups")
    raw_inputs = get(data, "input_grads", list)
    if len(raw_inputs) != len(inputs):
        raise Malformed("one gradient per input")
    grads = [
        _grad(g, shape, f"gradient of {what(name)}")
        for g, (name, shape) in zip(raw_inputs, inputs, strict=True)
    ]
    grads += [
        _grad(g[1], shape, f"gradient of {name}")
        for g, (name, shape) in zip(raw, groups[len(inputs) :], strict=True)
    ]
    _presence(groups, grads, len(inputs))
    return out, groups, grads


def what(name: str) -> str:
    """ "the input", "input k" or "parameter fc1.weight" for a gradient group."""
    if name == "input":
        return "the input"
    if name.startswith("input "):
        return name
    return f"parameter {name}"


def _subject(params: int, inputs: int) -> str:
    """ "2 parameters and the input get", "the input gets", ..."""
    these = "the input" if inputs == 1 else f"the {inputs} floating-point inputs"
    if params:
        return f"{params} parameters and {these} get"
    return f"{these} {'gets' if inputs == 1 else 'get'}"


def _input_groups(ctx: Context) -> list[tuple[str, tuple[int, ...]]]:
    """The gradient check's input groups: the floating-point inputs, in order."""
    names = input_names(ctx.task.spec)
    tensors = [ctx.probes.x_grad, *ctx.probes.extra_grad]
    return [
        (n, tuple(t.shape)) for n, t in zip(names, tensors, strict=True) if t.is_floating_point()
    ]


def _presence(
    groups: list[tuple[str, tuple[int, ...]]], grads: list[torch.Tensor | None], inputs: int
) -> None:
    # parameters first: "fc1.weight gets no gradient" says more than "the input"
    pairs = list(zip(groups, grads, strict=True))
    for (name, _), g in [*pairs[inputs:], *pairs[:inputs]]:
        what_ = what(name)
        if g is None:
            raise CheckFailed(f"{what_} gets no gradient: {_CUT}", group=name)
        bad = int((~torch.isfinite(g)).sum())
        if bad:
            raise CheckFailed(f"{what_} gets a gradient with {bad} non-finite values", group=name)
        if not bool(g.any()):
            raise CheckFailed(
                f"{what_} gets a gradient that is zero everywhere on a generic batch: "
                "the output does not depend on it",
                group=name,
            )


def _finite_differences(
    ctx: Context,
    data: dict[str, Any],
    groups: list[tuple[str, tuple[int, ...]]],
    grads: list[torch.Tensor | None],
    out: torch.Tensor,
    inputs: int,
    mode: str,
) -> tuple[str, dict[str, Metric]]:
    spec = ctx.task.spec.gradients
    dtype = out.dtype
    eps = get(data, "eps", float)
    if eps != (spec.eps if dtype == torch.float64 else STEP32):
        raise Malformed(f"eps {eps} is not the step the judge asked for")
    steps = fd_steps(dtype, eps)
    rtol, atol = fd_rtol(dtype, spec.rtol), spec.atol
    attempts = get(data, "attempts", list)
    per = spec.directions
    if len(attempts) != per * len(groups):
        raise Malformed("wrong number of finite-difference directions")
    terms = out.double() * ctx.probes.u
    s0, s_abs = float(terms.sum()), float(terms.abs().sum())
    probe = data.get("probe")
    worst, index, rough, retried = 0.0, 0, 0, 0
    for (name, vs), g in zip(directions(ctx.probes.dir_seed, groups, per), grads, strict=True):
        assert g is not None
        if index == 0 and isinstance(probe, float) and probe != float(vs[0].flatten()[0]):
            raise Malformed(
                "the worker's random directions differ from the judge's (torch versions?)"
            )
        compared = 0
        for v in vs:
            tried = _attempts(attempts[index], steps)
            index += 1
            ad = float((g * v).sum())
            a_abs = float((g * v).abs().sum())
            for n, (step, plus, minus) in enumerate(tried):
                forward, backward = (plus - s0) / step, (s0 - minus) / step
                tol = fd_tolerance(dtype, rtol, atol, step, s_abs, a_abs, forward, backward)
                if abs(forward - backward) > tol:
                    continue  # a kink (ReLU, max) lies within this step: try a smaller one
                compared += 1
                retried += n > 0
                fd = (plus - minus) / (2 * step)
                tol = fd_tolerance(dtype, rtol, atol, step, s_abs, a_abs, fd, ad)
                worst = max(worst, abs(fd - ad) / tol)
                if abs(fd - ad) > tol:
                    ratio = ad / fd if fd else float("inf")
                    raise CheckFailed(
                        f"in {mode} mode ({_precision(dtype)}) autograd disagrees with finite "
                        f"differences for {what(name)}: along a random direction autograd "
                        f"gives {ad:.6g} but finite differences give {fd:.6g} (ratio "
                        f"{ratio:.4g}); is a custom backward wrong, or is part of the graph "
                        "cut (.detach() or .data on a value used later)?",
                        group=name,
                        autograd=ad,
                        finite_differences=fd,
                        ratio=ratio,
                        eps=step,
                        rtol=rtol,
                        tolerance=tol,
                    )
                break
            else:
                rough += 1
        if not compared:
            raise CheckFailed(
                f"in {mode} mode the output is not smooth in {what(name)} along any of {per} "
                f"random directions, even at a step of {steps[-1]:.3g}: a kink or a jump "
                "lies next to the judge's point in every one, so its gradient cannot be "
                "checked (is part of forward piecewise constant, e.g. rounding, or does a "
                "non-smooth term depend on it?)",
                group=name,
                eps=steps[-1],
            )
    note = f"; {retried} direction(s) moved off a kink with a smaller step" if retried else ""
    return (
        f"{_subject(len(groups) - inputs, inputs)} finite, non-zero gradients that agree "
        f"with finite differences ({per} random directions each){note}",
        {
            "groups": len(groups),
            "directions": per,
            "eps": eps,
            "rtol": rtol,
            "atol": atol,
            "precision": str(dtype).removeprefix("torch."),
            "directions_at_kinks": rough,
            "directions_retried": retried,
            "worst_error_over_tolerance": round(worst, 6),
        },
    )


def _precision(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _attempts(raw: Any, steps: list[float]) -> list[tuple[float, float, float]]:
    """One direction's attempts [[step, s(+step), s(-step)], ...], each at the step the
    judge's rule gives it."""
    if not (isinstance(raw, list) and 1 <= len(raw) <= len(steps)):
        raise Malformed("finite-difference attempts")
    tried = []
    for att, step in zip(raw, steps, strict=False):
        if not (
            isinstance(att, list)
            and len(att) == 3
            and all(isinstance(x, float) for x in att)
            and att[0] == step
        ):
            raise Malformed("finite-difference values")
        tried.append((att[0], att[1], att[2]))
    return tried

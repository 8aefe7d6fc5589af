"""Verdict of the gradients check: autograd must agree with finite differences.

Called by `quizzer.judge.verdicts`. The worker ran, in eval mode and in float64 (float32
for models that only work in it), a forward on the judge's batch `x`, took
autograd's gradient of the scalar s = sum(u * f(x)) for the judge's random `u`, and
evaluated s at x +- eps*v and theta +- eps*v for random directions v drawn from the
judge's seed. Here the judge regenerates the same directions, computes autograd's
directional derivatives from the gradients it received, and compares them with the
central differences. Where the one-sided differences (s(+eps) - s)/eps and
(s - s(-eps))/eps disagree, a kink (ReLU, max-pool) lies within the step and the
direction proves nothing, so it is left out; any other disagreement fails, which
catches a backward that is off by a constant factor. The worker then did the same in
training mode, every forward starting from one random seed so that dropout keeps its
mask: a backward that is wrong only there (batch statistics detached) fails too.
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
from quizzer.judge.probes import EPS_FLOAT32, GRAD_BATCH, directions, input_names
from quizzer.judge.result import Metric

#: Tolerances when the model computes in float32 although it was given float64.
RTOL_FLOAT32, ATOL_FLOAT32 = 1e-2, 1e-3

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
    message, metrics = _one_mode(ctx, data, error, "eval")
    if "train" not in data and "train_error" not in data:
        raise Malformed("no training-mode run")
    train = data.get("train")
    train_error = data.get("train_error")
    if not (isinstance(train, dict) or train is None) or not (
        train_error is None or isinstance(train_error, dict)
    ):
        raise Malformed("the training-mode run")
    _one_mode(ctx, train or {}, train_error, "train")
    return message.replace(" (", " in eval and training mode (", 1), metrics


def _one_mode(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None, mode: str
) -> tuple[str, dict[str, Metric]]:
    spec = ctx.task.spec.gradients
    if error is not None:
        raise CheckFailed(explain.exception(error, f"forward and backward in {mode} mode"))
    out = output(data.get("out"), expected_output(ctx, GRAD_BATCH), f"output ({mode} mode)")
    again = output(data.get("again"), tuple(out.shape), "repeated output")
    if not close(again, out, rtol=1e-7, atol=1e-9):
        why = (
            "the model is random in eval mode (is dropout applied regardless of self.training?)"
            if mode == "eval"
            else "with the same random seed the model still differs: it draws randomness "
            "outside torch's generator (Python's random, NumPy, the clock?)"
        )
        raise CheckFailed(
            f"two {mode}-mode forward passes on the same batch differ by up to "
            f"{max_diff(again, out):.3g}, so gradients cannot be checked: {why}"
        )
    groups = []
    for item in get(data, "groups", list):
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)):
            raise Malformed("groups")
        groups.append((str(item[0]), tuple(int(d) for d in item[1])))
    inputs = _input_groups(ctx)
    if groups[: len(inputs)] != inputs:
        raise Malformed("the first groups must be the judge's inputs")
    raw = get(data, "grads", list)
    if [str(g[0]) for g in raw if isinstance(g, list) and len(g) == 2] != [
        n for n, _ in groups[len(inputs) :]
    ]:
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
    params = len(groups) - len(inputs)
    if not spec.finite_differences:
        return (
            f"{_subject(params, len(inputs))} finite, non-zero gradients (finite differences "
            "turned off by the task)",
            {"groups": len(groups)},
        )
    return _finite_differences(ctx, data, groups, grads, out, len(inputs), mode)


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
    low = out.dtype != torch.float64
    eps = get(data, "eps", float)
    if eps != (EPS_FLOAT32 if low else spec.eps):
        raise Malformed(f"eps {eps} is not the step the judge asked for")
    rtol, atol = (RTOL_FLOAT32, ATOL_FLOAT32) if low else (spec.rtol, spec.atol)
    sides = get(data, "sides", list)
    per = spec.directions
    if len(sides) != per * len(groups):
        raise Malformed("wrong number of finite-difference evaluations")
    s0 = float((out * ctx.probes.u.to(out.dtype)).sum())
    probe = data.get("probe")

    def tol(a: float, b: float) -> float:
        return atol + rtol * max(abs(a), abs(b))

    worst, index, rough, skipped = 0.0, 0, 0, []
    for (name, vs), g in zip(directions(ctx.probes.dir_seed, groups, per), grads, strict=True):
        assert g is not None
        if index == 0 and isinstance(probe, float) and probe != float(vs[0].flatten()[0]):
            raise Malformed(
                "the worker's random directions differ from the judge's (torch versions?)"
            )
        compared = 0
        for v in vs:
            pair = sides[index]
            index += 1
            if not (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(x, float) for x in pair)
            ):
                raise Malformed("finite-difference values")
            plus, minus = pair
            forward, backward = (plus - s0) / eps, (s0 - minus) / eps
            if abs(forward - backward) > tol(forward, backward):
                rough += 1  # a kink (ReLU, max) lies within one step: not comparable
                continue
            compared += 1
            fd, ad = (plus - minus) / (2 * eps), float((g * v).sum())
            worst = max(worst, abs(fd - ad) / tol(fd, ad))
            if abs(fd - ad) > tol(fd, ad):
                ratio = ad / fd if fd else float("inf")
                raise CheckFailed(
                    f"in {mode} mode autograd disagrees with finite differences for "
                    f"{what(name)}: along a random "
                    f"direction autograd gives {ad:.6g} but finite differences give {fd:.6g} "
                    f"(ratio {ratio:.4g}); is a custom backward wrong, or is part of the graph cut "
                    "(.detach() or .data on a value used later)?",
                    group=name,
                    autograd=ad,
                    finite_differences=fd,
                    ratio=ratio,
                    eps=eps,
                    rtol=rtol,
                    atol=atol,
                )
        if not compared:
            skipped.append(name)
    if len(skipped) == len(groups):
        raise CheckFailed(
            f"the output is not smooth at step {eps:g} in any of {index} random directions, "
            "so autograd cannot be compared with finite differences (is forward piecewise "
            "constant, e.g. rounding?)",
            eps=eps,
        )
    precision = "float32 (the model casts its input)" if low else "float64"
    note = f"; not comparable (kinks): {', '.join(skipped)}" if skipped else ""
    return (
        f"{_subject(len(groups) - inputs, inputs)} finite, non-zero gradients that agree "
        f"with finite differences ({per} random directions each, "
        f"{precision}){note}",
        {
            "groups": len(groups),
            "directions": per,
            "eps": eps,
            "rtol": rtol,
            "atol": atol,
            "precision": "float32" if low else "float64",
            "directions_at_kinks": rough,
            "worst_error_over_tolerance": round(worst, 6),
        },
    )

"""Verdicts of the load, shapes, device and train_eval checks, on the trusted side.

Called by `quizzer.judge.verdicts` with the facts the worker sent for one check. Each
function returns (message, metrics) when the check passes and raises `CheckFailed`
when the submission is wrong; it decides from tensors the judge decoded itself.
"""

from __future__ import annotations

import math
from typing import Any

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
)
from quizzer.judge.probes import input_names
from quizzer.judge.result import Metric

Verdict = tuple[str, dict[str, Metric]]


_ENTRY = {
    "module": "a subclass of torch.nn.Module",
    "function": "a function",
    "autograd_function": "a subclass of torch.autograd.Function (called as {name}.apply(x))",
    "optimizer": "a subclass of torch.optim.Optimizer",
}


def load(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    spec = ctx.task.spec
    name, entry = ctx.task.class_name, spec.entry
    if error is not None:
        if (
            error.get("type") in ("SyntaxError", "IndentationError", "TabError")
            and "lineno" in error
        ):
            raise CheckFailed(explain.syntax_error(error))
        if data.get("is_module") and entry == "module":
            how = f"with {_init_text(ctx)}" if spec.init else "with no arguments"
            message = explain.exception(error, f"{name}({_init_text(ctx)}) (built {how})")
            if error.get("type") == "TypeError" and "argument" in str(error.get("message")):
                message += f"\n{name}({_init_text(ctx)}) must work: " + (
                    "accept exactly these keyword arguments"
                    if spec.init
                    else "give every __init__ parameter a default"
                )
            raise CheckFailed(message)
        raise CheckFailed(explain.exception(error, "importing submission.py"))
    kind, plural = ("class", "classes") if entry != "function" else ("function", "functions")
    if not get(data, "found", bool):
        names = [c for c in get(data, plural, list) if isinstance(c, str)]
        found = ", ".join(names[:20]) if names else "none"
        raise CheckFailed(
            f"submission.py defines no {name}; {plural} found: {found}. Name your {kind} {name}.",
            **{plural: names[:20]},
        )
    if not get(data, f"is_{entry}", bool):
        what = _ENTRY[entry].format(name=name)
        raise CheckFailed(f"{name} in submission.py is not {what}")
    if entry == "function":
        return _signature(ctx, data)
    if entry == "optimizer":
        return f"{name} is a torch.optim.Optimizer subclass", {}
    params = get(data, "params", list)
    try:
        count = sum(math.prod(int(d) for d in p[1]) for p in params)
        tensors = len(params)
    except (TypeError, ValueError, IndexError) as exc:
        raise Malformed(f"parameter list: {exc}") from None
    layers = [str(x) for x in get(data, "layers", list)][:30]
    ctx.earlier["layers"] = layers
    trainable = [p for p in params if isinstance(p, list) and len(p) > 2 and p[2] is True]
    if entry == "module" and spec.parameters and not trainable:
        raise CheckFailed(
            f"{name}({_init_text(ctx)}) has no trainable parameters"
            + (f" (only frozen ones: {', '.join(str(p[0]) for p in params[:5])})" if params else "")
            + ": an optimiser would never change it. Weights must be nn.Parameter "
            "attributes (self.weight = nn.Parameter(torch.randn(...))) or live in "
            "registered layers; register_buffer and plain tensor attributes are not "
            "trained, and layers kept in a plain Python list are not registered (use "
            "nn.ModuleList)",
            parameters=0,
        )
    if entry == "autograd_function":
        return f"{name} is a torch.autograd.Function", {}
    _architecture(ctx, trainable)
    return (
        f"{name}({_init_text(ctx)}) built: {count} parameters in {tensors} tensors",
        {"parameters": count, "parameter_tensors": tensors, "layers": layers},
    )


def _architecture(ctx: Context, trainable: list) -> None:
    """The spec's parameter budget and its least number of convolution layers (weights
    with four dimensions), from the trainable parameters the worker listed."""
    spec, built = ctx.task.spec, f"{ctx.task.class_name}({_init_text(ctx)})"
    try:
        shapes = [[int(d) for d in p[1]] for p in trainable]
    except (TypeError, ValueError):
        raise Malformed("parameter shapes") from None
    count = sum(math.prod(s) for s in shapes)
    sized = list(zip(trainable, shapes, strict=True))
    if spec.max_parameters is not None and count > spec.max_parameters:
        largest = sorted(sized, key=lambda ps: -math.prod(ps[1]))
        raise CheckFailed(
            f"{built} has {count:,} trainable parameters; the budget is "
            f"{spec.max_parameters:,}. Largest: "
            + ", ".join(f"{p[0]} {tuple(s)}" for p, s in largest[:3]),
            trainable_parameters=count,
            max_parameters=spec.max_parameters,
        )
    convs = [str(p[0]) for p, s in sized if len(s) == 4]
    if spec.min_conv_layers is not None and len(convs) < spec.min_conv_layers:
        raise CheckFailed(
            f"{built} has {len(convs)} convolution layer{'s' if len(convs) != 1 else ''} "
            f"({', '.join(convs) or 'no trainable weight with four dimensions'}); the task "
            f"asks for at least {spec.min_conv_layers}",
            conv_layers=len(convs),
            min_conv_layers=spec.min_conv_layers,
        )


def _init_text(ctx: Context) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in ctx.task.spec.init.items())


def call_names(ctx: Context) -> list[str]:
    """The arguments the judge calls a function entry with, by name."""
    spec = ctx.task.spec
    if "train_step" in spec.checks:
        default = ["model", "optimizer", "loss_fn", "x", "y", "max_norm"]
    elif "collate" in spec.checks:
        default = ["batch", "pad_id", "pad_to_multiple_of"]
    elif "distribution" in spec.checks:
        default = ["logits", "temperature", "top_k", "top_p", "generator"]
    elif "resume" in spec.checks:
        default = ["model", "optimizer", "scheduler", "scaler", "batches", "accum_steps"]
        default.append("max_norm")
    else:
        default = ["x", *(s.name for s in spec.extra_inputs)]
    return list(spec.signature) or default


def _signature(ctx: Context, data: dict[str, Any]) -> Verdict:
    """A function entry must take the judge's positional arguments."""
    name, wanted = ctx.task.class_name, call_names(ctx)
    call = f"{name}({', '.join(wanted)})"
    sig = data.get("signature")
    if sig is None:
        return f"{name} is callable (its signature cannot be read); called as {call}", {}
    if not isinstance(sig, list) or not all(isinstance(p, list) and len(p) == 3 for p in sig):
        raise Malformed("signature")
    positional = [p for p in sig if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    star = any(p[1] == "VAR_POSITIONAL" for p in sig)
    required = [p for p in positional if not p[2]]
    keyword_only = [p for p in sig if p[1] == "KEYWORD_ONLY" and not p[2]]
    shown = f"{name}({', '.join(str(p[0]) for p in sig)})"
    n = len(wanted)
    if len(required) > n or (len(positional) < n and not star) or keyword_only:
        raise CheckFailed(
            f"{shown} cannot be called as {call}: the judge passes {n} positional "
            "arguments in that order",
            expected=wanted,
            got=[str(p[0]) for p in sig][:20],
        )
    return f"{shown} found; the judge calls it as {call}", {"signature": wanted}


def shapes(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    sizes = list(ctx.probes.batch_sizes or ctx.task.spec.batch_sizes)
    evals = get(data, "eval", dict)
    if error is not None:
        done = [b for b in sizes if str(b) in evals]
        mode = "eval" if len(done) < len(sizes) else "train"
        failing = next((b for b in sizes if str(b) not in evals), max(sizes))
        shape = explain._shape([failing, *ctx.probes.x.shape[1:]])
        raise CheckFailed(
            explain.exception(error, f"forward on a batch of shape {shape} ({mode} mode)"),
            batch_size=failing,
        )
    changed = [int(i) for i in data.get("inputs_changed") or [] if isinstance(i, int)]
    if changed:
        names = input_names(ctx.task.spec)
        which = ", ".join(
            ("the input" if names[i] == "input" else names[i])
            if 0 <= i < len(names)
            else f"input {i}"
            for i in changed
        )
        raise CheckFailed(
            f"forward changed {which} in place: the caller's tensor is not "
            "the caller's any more. In-place operations on the input (x.relu_(), x += ..., "
            "x[...] = ..., x.mul_()) must work on a copy or a new tensor instead: "
            "y = torch.relu(x), y = x + ...",
            inputs_changed=changed,
        )
    outs = {}
    for b in sizes:
        outs[b] = output(evals.get(str(b)), expected_output(ctx, b), f"batch size {b}: output")
    trains = get(data, "train", dict)
    for b in sizes:
        if b > 1:
            what = f"batch size {b}, train mode: output"
            output(trains.get(str(b)), expected_output(ctx, b), what)
    biggest = max(sizes)
    again = output(data.get("repeat"), expected_output(ctx, biggest), "repeated output")
    if not close(again, outs[biggest]):
        raise CheckFailed(
            "two eval-mode forward passes on the same batch differ by up to "
            f"{max_diff(again, outs[biggest]):.3g}: forward depends on more than its "
            "input. Either it keeps state between calls (a hidden state or a counter stored "
            "on self and reused by the next call: start every forward from a fresh state) "
            "or it is random in eval mode (dropout applied regardless of self.training?)",
            max_difference=max_diff(again, outs[biggest]),
        )
    if ctx.task.spec.per_sample:
        for b in sizes:
            if not close(outs[b], outs[biggest][:b]):
                diff = max_diff(outs[b], outs[biggest][:b])
                first = "the first sample" if b == 1 else f"the first {b} samples"
                raise CheckFailed(
                    f"in eval mode the output for {first} changes by up to "
                    f"{diff:.3g} when more samples join the batch: forward mixes samples "
                    "across the batch dimension (batch statistics in eval mode, or a reshape "
                    "such as view(-1, ...) that crosses samples?)",
                    batch_size=b,
                    max_difference=diff,
                )
    shown = ", ".join(str(b) for b in sizes)
    return (
        f"output shape {explain._shape(list(expected_output(ctx, biggest)))} for batch "
        f"sizes {shown} (eval and train mode), floating point, finite"
        + (", samples independent" if ctx.task.spec.per_sample else ""),
        {"batch_sizes": sizes},
    )


_DEVICE_WORDS = ("is not on the expected device", "same device", "Expected all tensors", "CUDA")


def device(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    where = ctx.device
    if error is not None:
        raise CheckFailed(explain.exception(error, f"forward with the model and batch on {where}"))
    stray = [str(s) for s in get(data, "stray", list)]
    if stray:
        raise CheckFailed(
            f"after model.to('{where}') these stay elsewhere: {', '.join(stray[:10])}; "
            "register tensors with register_buffer or nn.Parameter so that .to() moves them",
            stray=stray[:10],
        )
    output(data.get("out"), expected_output(ctx, 2), f"output on {where}")
    out_device = str(data.get("out_device"))
    if out_device.split(":")[0] != where:
        raise CheckFailed(f"the model and batch are on {where} but the output is on {out_device}")
    if where != "cpu":
        return f"model, batch and output on {out_device}", {"device": out_device}
    return _meta_verdict(get(data, "meta", dict))


def _meta_verdict(meta: dict[str, Any]) -> Verdict:
    """Judges the forward on the meta device: a hard-coded device shows up as a real
    tensor meeting meta ones. Errors that are not about devices prove nothing."""
    violations = [v for v in get(meta, "violations", list) if isinstance(v, dict)]
    if violations:
        v = violations[0]
        lines = explain.traceback_lines(v)
        if v.get("parameter") is True:
            why = (
                "it is an nn.Parameter the model does not own, so .to() did not move it: "
                "a layer kept in a plain Python list or dict (use nn.ModuleList or "
                "nn.ModuleDict, which also lets the optimiser see its weights)"
            )
        else:
            why = (
                "a device is hard-coded, so this breaks on a GPU. Create new tensors with "
                "device=x.device; a constant tensor kept on the model belongs in "
                "register_buffer, which .to() moves"
            )
        mode = " in training mode" if v.get("mode") == "train" else ""
        raise CheckFailed(
            f"forward{mode} uses {explain._s(v.get('what'), 80)} next to the model's tensors "
            f"(in {explain._s(v.get('call'), 40)}): {why}."
            + ("\n" + "\n".join(lines) if lines else ""),
            probe="meta",
        )
    error = meta.get("error")
    if isinstance(error, dict):
        text = f"{error.get('type')}: {error.get('message')}"
        if any(word in text for word in _DEVICE_WORDS):
            raise CheckFailed(
                explain.exception(error, "forward with the model and batch on the meta device")
                + "\na device is hard-coded in forward; follow the input's device (x.device)",
                probe="meta",
            )
        first = explain.cap(text, 160).splitlines()[0]
        return (
            f"model, batch and output on cpu; meta-device probe inconclusive ({first})",
            {"device": "cpu", "meta_probe": "inconclusive"},
        )
    out_device = str(meta.get("out_device"))
    if out_device != "meta":
        raise CheckFailed(
            f"with the model and batch on the meta device the output is on {out_device}: "
            "forward builds its result on a fixed device",
            probe="meta",
        )
    return (
        "model, batch and output on cpu; meta-device probe found no hard-coded device",
        {"device": "cpu", "meta_probe": "clean"},
    )


def train_eval(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    if error is not None:
        raise CheckFailed(explain.exception(error, "switching between train() and eval()"))
    not_eval = [str(s) for s in get(data, "not_eval", list)]
    not_train = [str(s) for s in get(data, "not_train", list)]
    if not_eval:
        raise CheckFailed(
            f"after model.eval() these are still in training mode: {', '.join(not_eval)}"
        )
    if not_train:
        raise CheckFailed(
            f"after model.train() these are still in eval mode: {', '.join(not_train)}"
        )
    return "train() and eval() reach every submodule", {}

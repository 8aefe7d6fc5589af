"""From a sandbox's raw outcome to one `CheckResult` per check, failing closed.

Called by `quizzer.judge.runner`. The reply must be exactly this run's frames: a
"hello", then one frame per check in the order asked, then "end", each with the
run's nonce and the next sequence number, and nothing after. Anything else (bytes
written by the submission to the reply channel, a truncated or oversized reply, a
dead or silent worker) is never a pass: the affected checks are errors that say what
happened, and later checks are skipped. `load` and `shapes` gate the rest.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from quizzer.judge import (
    checks_basic,
    checks_collate,
    checks_dist,
    checks_grad,
    checks_incremental,
    checks_learn,
    checks_loop,
    checks_optim,
    checks_promises,
    checks_ref,
    checks_step,
    explain,
)
from quizzer.judge.facts import CheckFailed, Context, Malformed, Unjudgeable, input_text
from quizzer.judge.probes import DEVICE_BATCH, GATES, GRAD_WIDE, input_names, worker_checks
from quizzer.judge.result import CheckResult, Metric, Status
from quizzer.judge.sandbox.base import RunOutcome
from quizzer.judge.tensors import unpack
from quizzer.judge.wire import MAX_REPLY, ForeignFrame, Frame, WireError, iter_frames

Judge = Callable[[Context, dict[str, Any], "dict[str, Any] | None"], tuple[str, dict[str, Metric]]]

JUDGES: dict[str, Judge] = {
    "load": checks_basic.load,
    "forbidden_api": checks_ref.forbidden_api,
    "shapes": checks_basic.shapes,
    "device": checks_basic.device,
    "train_eval": checks_basic.train_eval,
    "gradients": checks_grad.gradients,
    "reference": checks_ref.reference,
    "dropout": checks_ref.dropout,
    "train_step": checks_step.train_step,
    "collate": checks_collate.collate,
    "optimizer": checks_optim.optimizer,
    "resume": checks_loop.resume,
    "distribution": checks_dist.distribution,
    "incremental": checks_incremental.incremental,
    "learning": checks_learn.learning,
    "promises": checks_promises.promises,
}
LIMIT_TEXT = {
    "wall": "the time limit ({wall_s:g} s wall clock)",
    "cpu": "the CPU time limit ({cpu_s:g} s)",
    "memory": "the memory limit ({memory_mb} MB)",
    "processes": "the process limit ({processes})",
    "output": "the output limit ({output_kb} KB printed, or an oversized reply)",
    "file_size": "the file size limit ({file_mb} MB)",
}


@dataclass
class Reply:
    """The worker's frames once their order and nonce are proven."""

    hello: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Frame] = field(default_factory=dict)
    ended: bool = False
    problem: str | None = None
    tampered: str | None = None


def read_reply(ctx: Context, outcome: RunOutcome, expected: list[str] | None = None) -> Reply:
    """The frames of this run, in order; `expected` is the checks asked for (default:
    the task's). Frames are decoded one at a time and checked before the next is read,
    so nothing after the first bad frame, or past the frames asked for, is parsed."""
    names = worker_checks(ctx.task.spec) if expected is None else expected
    due = iter(names)
    reply = Reply()
    frames = iter_frames(outcome.reply, nonce=ctx.probes.nonce, limit=len(names) + 2)
    try:
        for seq, frame in enumerate(frames):
            reply.tampered = _take(reply, frame, seq, due)
            if reply.tampered:
                break
    except ForeignFrame as exc:
        reply.tampered = str(exc)
    except WireError as exc:
        reply.problem = str(exc)
    if reply.ended and reply.problem:
        reply.tampered = f"bytes after the worker's last frame: {reply.problem}"
    return reply


def _take(reply: Reply, frame: Frame, seq: int, due: Iterator[str]) -> str | None:
    """Adds `frame` to `reply`; returns why it cannot be this run's frame `seq`."""
    h = frame.header
    if h.get("seq") != seq:
        return f"frame {seq} does not carry this run's sequence number"
    kind = h.get("kind")
    if reply.ended or (seq == 0) != (kind == "hello"):
        return f"frame {seq} ({kind!r}) is out of order"
    if kind == "check":
        if h.get("name") != next(due, None):
            return f"frame {seq} reports a check that was not due"
        reply.checks[h["name"]] = frame
    elif kind == "end":
        reply.ended = True
    elif kind == "hello":
        reply.hello = h
    else:
        return f"frame {seq} has unknown kind {kind!r}"
    return None


def why_stopped(ctx: Context, outcome: RunOutcome, reply: Reply) -> str:
    """One sentence on why the worker's reply ends early."""
    limits = ctx.task.spec.limits
    if len(outcome.reply) > MAX_REPLY:
        reason = (
            f"the worker's reply is {len(outcome.reply)} bytes, more than the "
            f"{MAX_REPLY >> 20} MiB the judge reads (outputs or gradients far too large?)"
        )
    elif outcome.limit_hit:
        text = LIMIT_TEXT.get(outcome.limit_hit, outcome.limit_hit).format(**limits.model_dump())
        reason = f"the worker was stopped by {text}"
    elif outcome.signal:
        try:
            name = signal.Signals(outcome.signal).name
        except ValueError:
            name = str(outcome.signal)
        reason = f"the worker was killed by signal {name}"
    elif outcome.exit_code == 0:
        reason = (
            "the worker exited with status 0 before finishing (did the submission end the process?)"
        )
    elif outcome.exit_code is None:
        reason = "the worker did not finish"
    else:
        reason = f"the worker exited with status {outcome.exit_code}"
    if reply.problem and len(outcome.reply) <= MAX_REPLY:
        reason += f"; its reply ends with a broken frame ({reply.problem})"
    tail = explain.cap(outcome.output.strip()[-300:], 300)
    return reason + (f"\noutput ends with:\n{tail}" if tail else "")


def judge_frame(ctx: Context, name: str, frame: Frame) -> CheckResult:
    h = frame.header
    raw_output = h.get("output")
    output = explain.cap(raw_output if isinstance(raw_output, str) else "", 600)
    elapsed = h.get("elapsed_s")
    duration = None
    # NaN fails both comparisons; a day bounds any honest figure.
    if isinstance(elapsed, (int, float)) and 0 <= elapsed < 86400:
        duration = float(elapsed)
    broken = h.get("broken")
    if isinstance(broken, str):
        message = (
            f"the submission broke the channel between its process and the judge's harness "
            f"({broken}): nothing more from this run can be trusted"
        )
        return CheckResult(
            name=name, status=Status.ERROR, message=explain.cap(message), output=output
        )
    try:
        data = unpack(h.get("data"), frame.blobs)
        error = h.get("error")
        if not isinstance(data, dict) or not (error is None or isinstance(error, dict)):
            raise Malformed("data or error has the wrong type")
        message, metrics = JUDGES[name](ctx, data, error)
        status = Status.PASS
    except CheckFailed as failed:
        status, message, metrics = Status.FAIL, failed.message, failed.metrics
        shown = checked_input(ctx, name)
        if shown:  # kept whole: the message is capped to make room for it
            message = explain.cap(message, explain.MAX_MESSAGE - len(shown) - 1) + "\n" + shown
    except Unjudgeable as exc:
        status, message, metrics = Status.ERROR, str(exc), {}
    except (
        Malformed,
        WireError,
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        AttributeError,
        ArithmeticError,
    ) as exc:
        # Each is facts of a shape the check did not send for: never a pass.
        status, metrics = Status.ERROR, {}
        message = f"the worker's report is malformed ({exc}); not judged"
    return CheckResult(
        name=name,
        status=status,
        message=explain.cap(message),
        metrics=metrics,
        output=output,
        duration_s=duration,
    )


def checked_input(ctx: Context, name: str) -> str:
    """What check `name` fed the submission, for a failing check's last message line:
    shapes and first values ("" where the check's own message names its input, as the
    reference check's does, or where it feeds none)."""
    p, names = ctx.probes, input_names(ctx.task.spec)
    tensors: list[torch.Tensor] = []
    note = ""
    if name in ("shapes", "train_eval"):
        tensors, note = p.inputs(), "; each batch is its first rows"
    elif name == "promises":
        tensors = p.inputs()
    elif name == "device":
        tensors = p.inputs(DEVICE_BATCH)
    elif name == "gradients":
        tensors, note = (
            [p.x_grad, *p.extra_grad],
            f" (float64, the last sample scaled by {GRAD_WIDE:g})",
        )
    elif name == "learning":
        tensors, names = [p.learn_x, p.learn_y], ["input", "target"]
    elif name == "dropout" and p.dropout_x is not None:
        tensors = [p.dropout_x]
    elif name == "train_step" and ctx.step is not None and ctx.step.xs:
        tensors, names = [ctx.step.xs[0], ctx.step.ys[0]], ["first batch x", "y"]
    elif name == "optimizer" and ctx.optim is not None:
        tensors, names = [ctx.optim.groups[0][0]], ["group 0 parameter 0"]
    elif name == "resume" and ctx.loop is not None:
        tensors, names = list(ctx.loop.epochs[0][0][0]), ["first micro-batch x", "y"]
    elif name == "distribution" and ctx.dist is not None and ctx.dist.cases:
        first = ctx.dist.cases[0]
        tensors, names = [first.logits], [f"logits rows of the first case ({first.kind})"]
    elif name == "incremental" and ctx.inc is not None:
        tensors, names = [ctx.inc.x], ["x"]
    if not tensors:
        return ""
    return f"{input_text(tensors, names)}{note}; seed {p.seed} draws them all again"


def judge_outcome(
    ctx: Context, outcome: RunOutcome, trusted: dict[str, CheckResult]
) -> list[CheckResult]:
    """Every check of the task, in the spec's order; `trusted` holds the checks done
    without the worker (forbidden_api)."""
    reply = read_reply(ctx, outcome)
    results: list[CheckResult] = []
    blocked: str | None = None
    for name in ctx.task.spec.checks:
        if name in trusted:
            results.append(trusted[name])
            continue
        if blocked:
            results.append(CheckResult(name=name, status=Status.SKIPPED, message=blocked))
            continue
        if reply.tampered:
            message = (
                "the reply channel holds bytes that are not this run's worker's "
                f"({reply.tampered}): the submission wrote to it, so nothing from this run "
                "can be trusted"
            )
            results.append(CheckResult(name=name, status=Status.ERROR, message=message))
            blocked = "not judged: the reply was tampered with"
            continue
        frame = reply.checks.get(name)
        if frame is None:
            results.append(
                CheckResult(
                    name=name, status=Status.ERROR, message=why_stopped(ctx, outcome, reply)
                )
            )
            blocked = f"not run: the worker stopped during {name}"
            continue
        result = judge_frame(ctx, name, frame)
        results.append(result)
        if name in GATES and result.status is not Status.PASS:
            blocked = f"not run: {name} did not pass"
        if "broken" in frame.header:
            blocked = "not judged: the channel to the submission's process was broken"
    if not (reply.ended or reply.tampered or blocked):
        # every check reported, but the worker never finished its reply
        message = "the reply has no end frame: " + why_stopped(ctx, outcome, reply)
        results.append(CheckResult(name="reply", status=Status.ERROR, message=message))
    return results

"""Names a failed reference comparison after the task's known mistake it matches.

Called by `quizzer.judge.runner` when a submission fails the `reference` check. Each
known-bad variant of the task that fails there (`questions/tasks/*/bad/`, `fails_at:
reference`) is run, in the same sandbox, on the same trials, states and inputs as the
submission (cached per task, file, seed and device). When the submission's outputs
equal one variant's, within the tolerance the reference check uses, the check's
message says which mistake it is, in the words of the task's author: "matches a
known mistake (bad/softmax_over_queries.py): the softmax runs over the query
dimension instead of the keys". Nothing here changes a verdict; it only adds a line.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import replace
from typing import Any

import torch

from quizzer.bank.models import Coding, Variant, text_in
from quizzer.judge.facts import Context
from quizzer.judge.probes import build_request
from quizzer.judge.result import CheckResult, Status
from quizzer.judge.sandbox.base import RunOutcome, RunRequest, Sandbox
from quizzer.judge.tensors import unpack

#: Variant outputs kept, keyed by (task, variant text, seed, device).
_CACHE: dict[tuple, list | None] = {}
_GUARD = threading.Lock()
CACHE_SIZE = 64


def name_known_mistake(
    ctx: Context, sandbox: Sandbox, outcome: RunOutcome, checks: list[CheckResult]
) -> list[CheckResult]:
    """`checks`, with the failed reference check naming the known mistake it matches."""
    index = next(
        (i for i, c in enumerate(checks) if c.name == "reference" and c.status is Status.FAIL),
        None,
    )
    plan, task = ctx.plan, ctx.task
    variants = [v for v in task.variants if v.fails_at == "reference"]
    if index is None or plan is None or plan.problem or not variants or task.source_file is None:
        return checks
    mine = _outputs_of(ctx, outcome)
    if mine is None:
        return checks
    for variant in variants:
        theirs = _variant_outputs(ctx, sandbox, variant)
        if theirs is not None and _same(ctx, mine, theirs):
            check = checks[index]
            why = text_in(variant.why, "en")
            line = f"\nThis matches a known mistake ({variant.path}): {why}"
            metrics = {**check.metrics, "known_mistake": variant.path}
            checks = list(checks)
            checks[index] = check.model_copy(
                update={"message": check.message + line, "metrics": metrics}
            )
            break
    return checks


def _outputs_of(
    ctx: Context, outcome: RunOutcome, expected: list[str] | None = None
) -> list | None:
    """The reference check's outputs in a run's reply: per trial, per run, a tensor
    (None where the run did not give a plain tensor)."""
    from quizzer.judge.verdicts import read_reply

    reply = read_reply(ctx, outcome, expected)
    frame = reply.checks.get("reference")
    if frame is None or reply.tampered:
        return None
    try:
        data = unpack(frame.header.get("data"), frame.blobs)
    except Exception:
        return None
    trials = data.get("trials") if isinstance(data, dict) else None
    if not isinstance(trials, list):
        return None
    outs = []
    for rec in trials:
        runs = rec.get("runs") if isinstance(rec, dict) else None
        if not isinstance(runs, list):
            return None
        outs.append(
            [
                r.get("out") if isinstance(r, dict) and type(r.get("out")) is torch.Tensor else None
                for r in runs
            ]
        )
    return outs


def _variant_outputs(ctx: Context, sandbox: Sandbox, variant: Variant) -> list | None:
    task: Coding = ctx.task
    assert task.source_file is not None and ctx.plan is not None
    path = task.source_file.parent / variant.path
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    key = (task.id, hashlib.sha256(source.encode()).hexdigest(), ctx.probes.seed, ctx.device)
    with _GUARD:
        if key in _CACHE:
            return _CACHE[key]
    own = replace(ctx.probes, nonce=secrets.token_hex(16))
    payload = build_request(
        task, source, own, ctx.device, plan=ctx.plan, checks=["load", "reference"]
    )
    try:
        outcome = sandbox.run(
            RunRequest(payload=payload, limits=task.spec.limits, device=ctx.device)
        )
        outs = _outputs_of(replace(ctx, probes=own), outcome, ["load", "reference"])
    except Exception:  # naming a mistake is a courtesy: never a reason to fail judging
        outs = None
    with _GUARD:
        _CACHE[key] = outs
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
    return outs


def _same(ctx: Context, mine: list, theirs: list) -> bool:
    """Every output equal within the reference check's tolerance for its dtype."""
    plan = ctx.plan
    assert plan is not None
    if len(mine) != len(theirs) or len(mine) != len(plan.trials):
        return False
    for got_runs, want_runs in zip(mine, theirs, strict=True):
        if len(got_runs) != len(plan.runs) or len(want_runs) != len(plan.runs):
            return False
        for run, got, want in zip(plan.runs, got_runs, want_runs, strict=True):
            if not _close(ctx, run.dtype, got, want):
                return False
    return True


def _close(ctx: Context, dtype: str, got: Any, want: Any) -> bool:
    if got is None or want is None or got.shape != want.shape:
        return False
    tol = ctx.task.spec.reference.tolerance(dtype)
    return bool(torch.allclose(got.double(), want.double(), rtol=tol.rtol, atol=tol.atol))

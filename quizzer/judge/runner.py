"""Judge submissions: source -> sandboxed worker -> trusted verdicts -> `JudgeResult`.

Called by `quizzer judge` (quizzer.commands.judge), by `quizzer bank verify`
(through `quizzer.judge.verify`) and by the benchmarks. `open_sandbox`
(`quizzer.judge.sandbox`) is the one place that picks the sandbox.
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from quizzer import __version__
from quizzer.bank.models import Coding
from quizzer.errors import SandboxError
from quizzer.escaping import no_surrogates
from quizzer.judge import explain
from quizzer.judge.checks_dist import plan_distribution
from quizzer.judge.checks_incremental import plan_incremental
from quizzer.judge.checks_optim import plan_optimizer
from quizzer.judge.checks_step import plan_train_step
from quizzer.judge.device import resolve_device
from quizzer.judge.equivalence import plan_reference
from quizzer.judge.facts import Context
from quizzer.judge.files import read_submission, shown
from quizzer.judge.loop_replay import plan_resume
from quizzer.judge.mistakes import name_known_mistake
from quizzer.judge.probes import build_request, check_spec, make_probes, new_seed
from quizzer.judge.result import (
    CheckResult,
    DeviceInfo,
    JudgeResult,
    SandboxInfo,
    Status,
    TaskInfo,
    Timings,
    Versions,
    overall,
)
from quizzer.judge.sandbox import open_sandbox  # noqa: F401 - callers' name for it
from quizzer.judge.sandbox.base import RunOutcome, RunRequest, Sandbox
from quizzer.judge.static import (
    SourceRejected,
    decode_source,
    forbidden_uses,
    precheck,
    probe_dodges,
)
from quizzer.judge.verdicts import judge_outcome

OnCheck = Callable[[CheckResult], None]


@dataclass(frozen=True)
class Options:
    device: str = "auto"
    #: None: a fresh seed per submission, reported in the result.
    seed: int | None = None
    #: Run the task's known-bad variants to name the mistake a failed reference
    #: comparison matches (`quizzer.judge.mistakes`); `bank verify` needs only verdicts.
    name_mistakes: bool = True


def judge_file(
    path: Path,
    task: Coding,
    sandbox: Sandbox,
    options: Options = Options(),
    on_check: OnCheck | None = None,
    display: str | None = None,
) -> JudgeResult:
    """Judge the file at `path`. A missing file or a symbolic link is a usage error
    (exit 2); anything wrong with its contents is part of the verdict."""
    raw = read_submission(path)
    return judge_bytes(raw, task, sandbox, options, on_check, display or shown(path))


def judge_bytes(
    raw: bytes,
    task: Coding,
    sandbox: Sandbox,
    options: Options = Options(),
    on_check: OnCheck | None = None,
    display: str = "submission.py",
) -> JudgeResult:
    started = time.perf_counter()
    one_thread()
    check_spec(task)
    device = resolve_device(options.device)
    seed = new_seed() if options.seed is None else options.seed
    probes = make_probes(task.spec, seed)
    outcome: RunOutcome | None = None
    infrastructure = False
    ctx = Context(task=task, probes=probes, device=device)
    trusted: dict[str, CheckResult] = {}
    try:
        source = decode_source(raw)
        precheck(source, task.class_name, task.spec.entry == "function")
        trusted = _trusted_checks(task, source)
        for check in trusted.values():  # known in milliseconds: said at once
            if on_check:
                on_check(_named(check, display))
        ctx = _with_plans(ctx, sandbox)
        payload = build_request(
            task,
            source,
            probes,
            device,
            plan=ctx.plan,
            step=ctx.step,
            optim=ctx.optim,
            loop=ctx.loop,
            dist=ctx.dist,
            inc=ctx.inc,
        )
        outcome = _run(sandbox, RunRequest(payload=payload, limits=task.spec.limits, device=device))
        checks = _verdicts(ctx, outcome, trusted)
        if options.name_mistakes:
            checks = name_known_mistake(ctx, sandbox, outcome, checks)
    except SandboxFailed as exc:
        infrastructure = True
        checks = [CheckResult(name="sandbox", status=Status.ERROR, message=str(exc))]
        checks += [
            CheckResult(name=n, status=Status.SKIPPED, message="not judged: no sandbox")
            for n in task.spec.checks
        ]
    except SourceRejected as exc:
        checks = [CheckResult(name="load", status=Status.FAIL, message=str(exc))]
        checks += [
            CheckResult(name=n, status=Status.SKIPPED, message="not run: load did not pass")
            for n in task.spec.checks
            if n != "load"
        ]
    if outcome is not None and outcome.limit_hit and all(c.status is Status.PASS for c in checks):
        checks.append(
            CheckResult(
                name="limits",
                status=Status.ERROR,
                message=f"the worker hit the {outcome.limit_hit} limit after its checks",
            )
        )
    checks = [_named(check, display) for check in checks]
    for check in checks:
        if on_check and check.name not in trusted:
            on_check(check)
    status, message = overall(checks)
    hello = _hello(outcome, probes.nonce)
    return JudgeResult(
        status=status,
        message=message,
        submission=no_surrogates(display),
        sha256=hashlib.sha256(raw).hexdigest(),
        task=TaskInfo(id=task.id, class_name=task.class_name),
        device=DeviceInfo(requested=options.device, used=device),
        sandbox=SandboxInfo(
            name=sandbox.name,
            protections=list(outcome.protections if outcome else sandbox.protections()),
            limit_hit=outcome.limit_hit if outcome else None,
            exit_code=outcome.exit_code if outcome else None,
            signal=outcome.signal if outcome else None,
        ),
        seed=seed,
        versions=Versions(
            quizzer=__version__,
            python=platform.python_version(),
            torch=torch.__version__,
            worker_python=hello.get("python"),
            worker_torch=hello.get("torch"),
        ),
        timings=Timings(
            total_s=round(time.perf_counter() - started, 4),
            sandbox_s=round(outcome.wall_s, 4) if outcome else 0.0,
            checks_s=round(sum(c.duration_s or 0.0 for c in checks), 4),
        ),
        checks=checks,
        output=explain.cap(outcome.output[-2000:], 2000) if outcome else "",
        infrastructure=infrastructure,
    )


def one_thread() -> None:
    """Run torch's operations on one thread in this (trusted) process. Its tensors are
    small (probes, float64 replays of the bank's small models), where more threads
    only add waiting, and on a busy machine a great deal of it: beside two busy
    processes on 2 cores, a training-loop replay took 26.7 s with torch's default
    threads and 1.3 s with one. Judgements run in parallel on threads of their own."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def _named(check: CheckResult, display: str) -> CheckResult:
    """`check` with its message naming the file as the user gave it (`display`), not
    as the worker compiled it (`submission.py`): an editor then finds the line."""
    message = explain.name_file(check.message, display)
    return check if message == check.message else check.model_copy(update={"message": message})


class SandboxFailed(Exception):
    """The sandbox did not start, twice: the machine's problem, not the file's."""


def _run(sandbox: Sandbox, request: RunRequest) -> RunOutcome:
    """One run; a sandbox that fails to start is tried once more (a busy machine, a
    cgroup or namespace that was not ready), then the file is reported as not judged."""
    try:
        return sandbox.run(request)
    except SandboxError as first:
        try:
            return sandbox.run(request)
        except SandboxError as again:
            raise SandboxFailed(
                f"the {sandbox.name} sandbox could not start, twice ({first}; then {again}): "
                "this file was not judged. That is this machine's problem, not the "
                "submission's: run `quizzer sandbox doctor`, then judge the file again"
            ) from again


def _verdicts(
    ctx: Context, outcome: RunOutcome, trusted: dict[str, CheckResult]
) -> list[CheckResult]:
    """`judge_outcome`, with a last resort: the reply is hostile input, and should one
    trip a bug in a verdict, that must cost this file its verdict (an error), never
    the other files of the batch."""
    try:
        return judge_outcome(ctx, outcome, trusted)
    except Exception as exc:
        text = explain.cap(f"{type(exc).__name__}: {exc}", 500)
        message = f"the judge could not read the worker's reply ({text}); not judged"
        checks, first = [], True
        for name in ctx.task.spec.checks:
            if name in trusted:
                checks.append(trusted[name])
            elif first:
                checks.append(CheckResult(name=name, status=Status.ERROR, message=message))
                first = False
            else:
                reason = "not judged: the reply could not be read"
                checks.append(CheckResult(name=name, status=Status.SKIPPED, message=reason))
        return checks


def _with_plans(ctx: Context, sandbox: Sandbox) -> Context:
    """The context with what a correct solution does, where the checks need it: the
    reference check's trials (a built-in run here, or the task's reference solution
    run in its own worker, never in the submission's) and the replays of the
    train_step, optimizer and resume checks."""
    spec, seed = ctx.task.spec, ctx.probes.seed
    plan = step = optim = loop = None
    if "reference" in spec.checks:
        plan = plan_reference(ctx.task, ctx.probes, ctx.device, sandbox)
    if "train_step" in spec.checks:
        step = plan_train_step(ctx.task, seed)
    if "optimizer" in spec.checks:
        optim = plan_optimizer(ctx.task, seed)
    if "resume" in spec.checks:
        loop = plan_resume(ctx.task, seed)
    dist = plan_distribution(ctx.task, seed) if "distribution" in spec.checks else None
    inc = None
    if "incremental" in spec.checks:
        inc = plan_incremental(ctx.task, ctx.probes, ctx.device, sandbox)
    return replace(ctx, plan=plan, step=step, optim=optim, loop=loop, dist=dist, inc=inc)


def _trusted_checks(task: Coding, source: str) -> dict[str, CheckResult]:
    """forbidden_api from the syntax tree: a hit fails here, without the worker; a
    clean tree leaves the verdict to the worker's run-time probe as well."""
    if "forbidden_api" not in task.spec.checks:
        return {}
    forbidden = task.spec.forbidden_apis
    try:
        hits = forbidden_uses(source, forbidden)
        dodges = probe_dodges(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        result = CheckResult(
            name="forbidden_api", status=Status.SKIPPED, message="not run: the file does not parse"
        )
        return {"forbidden_api": result}
    if hits:
        shown = ", ".join(f"{name} (line {line})" for name, line in hits[:10])
        result = CheckResult(
            name="forbidden_api",
            status=Status.FAIL,
            message=f"uses APIs this task forbids: {shown}",
            metrics={"forbidden": [name for name, _ in hits[:10]]},
        )
        return {"forbidden_api": result}
    if dodges:
        shown = ", ".join(f"{name} (line {line})" for name, line in dodges[:5])
        result = CheckResult(
            name="forbidden_api",
            status=Status.FAIL,
            message=(
                f"turns off or inspects the judge's run-time API probe: {shown}; a task "
                "that forbids APIs does not allow that"
            ),
            metrics={"forbidden": [name for name, _ in dodges[:5]]},
        )
        return {"forbidden_api": result}
    return {}


def _hello(outcome: RunOutcome | None, nonce: str) -> dict[str, str]:
    """The worker's self-description from its first frame, for information only."""
    if outcome is None:
        return {}
    from quizzer.judge.wire import WireError, decode_frame

    try:
        frame, _ = decode_frame(outcome.reply, nonce=nonce)
    except WireError:
        return {}
    h = frame.header
    return {k: explain.cap(str(h[k]), 40) for k in ("python", "torch") if isinstance(h.get(k), str)}

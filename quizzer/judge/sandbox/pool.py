"""Judging many files at once over one sandbox (`quizzer judge DIR/*.py --workers N`).

Called by `quizzer.commands.judge`. Each file is judged in a worker thread; the
sandbox's `run` is thread-safe and each run gets its own sandboxed process, so the
threads only wait on I/O. A file whose judging crashes (a bug, a sandbox that could not
start) becomes an `error` result of its own: it never takes the other files' results
with it. Results come back in the order of the files; callbacks fire as files finish.
"""

from __future__ import annotations

import hashlib
import platform
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from quizzer.judge.sandbox.base import Sandbox

if TYPE_CHECKING:
    from quizzer.bank.models import Coding
    from quizzer.judge.result import CheckResult, JudgeResult
    from quizzer.judge.runner import Options

OnStart = Callable[[int, Path], None]
OnCheck = Callable[[Path, "CheckResult"], None]
OnDone = Callable[[int, Path, "JudgeResult"], None]


def judge_many(
    paths: Sequence[Path],
    coding: Coding,
    sandbox: Sandbox,
    options: Options,
    *,
    workers: int = 1,
    on_start: OnStart | None = None,
    on_check: OnCheck | None = None,
    on_done: OnDone | None = None,
) -> list[JudgeResult]:
    """Judge `paths` with up to `workers` at a time. Callbacks run one at a time."""
    from quizzer.judge.runner import judge_file

    lock = threading.Lock()

    def one(index: int, path: Path) -> JudgeResult:
        if on_start:
            with lock:
                on_start(index, path)

        def checked(check: CheckResult) -> None:
            if on_check:
                with lock:
                    on_check(path, check)

        started = time.perf_counter()
        try:
            return judge_file(path, coding, sandbox, options, checked)
        except Exception as exc:
            return crashed(path, coding, sandbox, options, exc, time.perf_counter() - started)

    results: list[JudgeResult | None] = [None] * len(paths)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="judge") as pool:
        futures = {pool.submit(one, i, p): i for i, p in enumerate(paths)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_done:
                with lock:
                    on_done(index, paths[index], results[index])  # type: ignore[arg-type]
    return [r for r in results if r is not None]


def crashed(
    path: Path, coding: Coding, sandbox: Sandbox, options: Options, exc: BaseException, took: float
) -> JudgeResult:
    """An `error` result for a file the judge could not judge."""
    import torch

    from quizzer import __version__
    from quizzer.judge.result import (
        CheckResult,
        DeviceInfo,
        JudgeResult,
        SandboxInfo,
        Status,
        TaskInfo,
        Timings,
        Versions,
    )

    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    text = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    message = f"the judge could not judge this file: {text}"[:2000]
    return JudgeResult(
        status=Status.ERROR,
        message=message,
        submission=str(path),
        sha256=digest,
        task=TaskInfo(id=coding.id, class_name=coding.class_name),
        device=DeviceInfo(requested=options.device, used=options.device),
        sandbox=SandboxInfo(name=sandbox.name, protections=list(sandbox.protections())),
        seed=options.seed or 0,
        versions=Versions(
            quizzer=__version__, python=platform.python_version(), torch=torch.__version__
        ),
        timings=Timings(total_s=round(took, 4)),
        checks=[CheckResult(name="load", status=Status.ERROR, message=message)],
    )

"""The local backend: a batch judged on this machine's warm sandbox, a few at a time.

Opened by `quizzer.judge.scale.backends.open_backend` (`--backend local`, the
default). It judges exactly as `quizzer judge` does without a ledger (the same runner
on the same sandbox), so the local backend is the baseline the Ray backend must match.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from quizzer.bank.models import Coding
from quizzer.errors import QuizzerError
from quizzer.judge.sandbox.base import Sandbox
from quizzer.judge.scale.backends import OnResult, OnSent
from quizzer.judge.scale.work import Submission, not_judged

NODE = "local"


class LocalBackend:
    name = "local"

    def __init__(self, tasks: Mapping[str, Coding], sandbox: Sandbox, *, workers: int = 1) -> None:
        self.tasks = dict(tasks)
        self.sandbox = sandbox
        self.workers = max(1, workers)

    def judge(self, subs: Sequence[Submission], on_sent: OnSent, on_result: OnResult) -> None:
        def one(sub: Submission) -> None:
            on_sent(sub)
            on_result(sub, judge_one(sub, self.tasks, self.sandbox), NODE)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="judge-local") as pool:
            for future in [pool.submit(one, sub) for sub in subs]:
                future.result()

    def close(self) -> None:
        self.sandbox.close()


def judge_one(sub: Submission, tasks: Mapping[str, Coding], sandbox: Sandbox) -> dict:
    """`sub`'s result document, judged on `sandbox` against the task of its hash. A
    judge that fails (a bug, a broken sandbox) gives an error document of its own,
    never another submission's or a crash of the batch."""
    from quizzer.judge.runner import Options, judge_bytes
    from quizzer.judge.sandbox.limits import with_limits

    task = tasks.get(sub.task_hash)
    if task is None or task.id != sub.task_id:
        return not_judged(sub, f"no task {sub.task_id} with content hash {sub.task_hash[:12]}")
    started = time.perf_counter()
    try:
        coding = with_limits(task, sub.limits)
        options = Options(device=sub.device, seed=sub.seed)
        result = judge_bytes(sub.source, coding, sandbox, options, display=sub.name)
    except QuizzerError as exc:
        return not_judged(sub, str(exc), sandbox=sandbox.name)
    except Exception as exc:
        from quizzer.judge.sandbox.pool import crashed

        result = crashed(
            Path(sub.name),
            task,
            sandbox,
            Options(sub.device, sub.seed),
            exc,
            time.perf_counter() - started,
        ).model_copy(update={"sha256": sub.sha256})
    return result.model_dump(mode="json")

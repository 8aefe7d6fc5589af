"""Prove that the bank's coding tasks are judged as they claim: each reference
solution passes, each known-bad variant fails, first at the check it names, and each
starter, handed in untouched, passes no check that earns points.

Called by `quizzer bank verify` (quizzer.commands.bank) with the loaded bank; a
variant that slips through, or fails somewhere else, shows that a check is weak or
the task is wrong, and comes back as a bank `Problem`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from quizzer.bank.loader import Bank
from quizzer.bank.models import UNSCORED_CHECKS, Coding
from quizzer.bank.problems import Problem
from quizzer.errors import SandboxError
from quizzer.judge.result import JudgeResult, Status
from quizzer.judge.runner import Options, judge_file
from quizzer.judge.sandbox import open_sandbox
from quizzer.judge.sandbox.base import Sandbox

#: A fixed seed keeps `bank verify` reproducible; the judge itself picks one per run.
VERIFY_SEED = 20240601


def _first_miss(result: JudgeResult) -> tuple[str, Status, str] | None:
    for check in result.checks:
        if check.status is not Status.PASS:
            return check.name, check.status, (check.message.splitlines() or [""])[0]
    return None


def verify_task(
    bank: Bank, task: Coding, sandbox: Sandbox, seed: int, progress: Callable[[str], None]
) -> list[Problem]:
    """The problems of one task: its reference and each variant, judged in turn."""
    return _problems(
        bank, task, seed, [_judge(bank, task, job, sandbox, seed, progress) for job in _jobs(task)]
    )


#: The job that judges a task's starter file.
STARTER = "starter"


def _jobs(task: Coding) -> list[int | str | None]:
    """None for the reference, then each variant's index, then the starter."""
    return [None, *range(len(task.variants)), STARTER]


def _judge(
    bank: Bank,
    task: Coding,
    job: int | str | None,
    sandbox: Sandbox,
    seed: int,
    progress: Callable[[str], None],
) -> JudgeResult:
    options = Options(device="cpu", seed=seed, name_mistakes=False)
    if job is None:
        progress(f"judging {task.id}: reference {task.reference}")
        return judge_file(bank.resolve(task.id, task.reference), task, sandbox, options)
    if job == STARTER:
        progress(f"judging {task.id}: starter {task.starter} (must earn no points)")
        return judge_file(bank.resolve(task.id, task.starter), task, sandbox, options)
    assert isinstance(job, int)
    variant = task.variants[job]
    progress(f"judging {task.id}: variant {variant.path} (must fail at {variant.fails_at})")
    return judge_file(bank.resolve(task.id, variant.path), task, sandbox, options)


def _problems(bank: Bank, task: Coding, seed: int, results: list[JudgeResult]) -> list[Problem]:
    where = bank.location(task.id)

    def problem(field: str, message: str) -> Problem:
        return Problem(where.path, where.line, where.column, task.id, field, message)

    problems = []
    reference, variants, starter = results[0], results[1:-1], results[-1]
    earning = [
        c.name for c in starter.checks if c.status is Status.PASS and c.name not in UNSCORED_CHECKS
    ]
    if earning:
        problems.append(
            problem(
                "starter",
                f"the starter {task.starter}, handed in untouched, passes {', '.join(earning)} "
                f"(seed {seed}), so a screen would give it points; make it fail them (e.g. "
                "raise NotImplementedError where the work goes)",
            )
        )
    if not reference.passed:
        problems.append(
            problem(
                "reference",
                f"the reference solution {task.reference} does not pass "
                f"(seed {seed}): {reference.message}",
            )
        )
    for index, (variant, result) in enumerate(zip(task.variants, variants, strict=True)):
        miss = _first_miss(result)
        field = f"variants[{index}]"
        if miss is None:
            problems.append(
                problem(
                    field,
                    f"known-bad {variant.path} passes every check "
                    f"(seed {seed}); a check is too weak to catch it",
                )
            )
        elif (miss[0], miss[1]) != (variant.fails_at, Status.FAIL):
            problems.append(
                problem(
                    field,
                    f"known-bad {variant.path} should fail at {variant.fails_at} "
                    f"but first {miss[1].value}s at {miss[0]} (seed {seed}): {miss[2]}",
                )
            )
    return problems


def default_sandbox() -> Sandbox:
    """The warm process sandbox where this machine gives it in full (a run then costs a
    fork, not an interpreter start), else a plain child process: the bank's own files
    are trusted code."""
    try:
        return open_sandbox("process")
    except SandboxError:
        return open_sandbox("none")


def verify_seeds(count: int) -> list[int]:
    """`count` seeds from VERIFY_SEED on: the same ones every time."""
    return [VERIFY_SEED + i for i in range(count)]


def verify_tasks(
    bank: Bank,
    *,
    progress: Callable[[str], None] | None = None,
    sandbox: Sandbox | None = None,
    seed: int = VERIFY_SEED,
    seeds: list[int] | None = None,
    workers: int | None = None,
) -> list[Problem]:
    """Every problem found by judging each task's reference and variants (on CPU) on
    each of `seeds` (default: `seed` alone), `workers` files at a time (default: one
    per CPU, at most 4). A file that misses on several seeds is one problem that
    names them: a verdict that changes with the seed is a bug of the task."""
    report = progress or (lambda _message: None)
    lock = threading.Lock()

    def say(message: str) -> None:
        with lock:
            report(message)

    chosen = seeds or [seed]
    own = sandbox is None
    box = default_sandbox() if sandbox is None else sandbox
    threads = workers or max(1, min(4, os.cpu_count() or 1))
    try:
        jobs = [(task, job, s) for s in chosen for task in bank.tasks() for job in _jobs(task)]
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="verify") as pool:
            done = list(pool.map(lambda j: _judge(bank, j[0], j[1], box, j[2], say), jobs))
        found: dict[tuple, list[tuple[int, Problem]]] = {}
        start = 0
        for s in chosen:
            for task in bank.tasks():
                count = len(_jobs(task))
                for problem in _problems(bank, task, s, done[start : start + count]):
                    found.setdefault((task.id, problem.field), []).append((s, problem))
                start += count
        return [_merged(hits, len(chosen)) for hits in found.values()]
    finally:
        if own:
            box.close()


def _merged(hits: list[tuple[int, Problem]], total: int) -> Problem:
    """One problem for a file that missed on one or more seeds, naming them."""
    first = hits[0][1]
    if total == 1:
        return first
    seeds = ", ".join(str(s) for s, _ in hits[:8]) + (" ..." if len(hits) > 8 else "")
    return Problem(
        first.path,
        first.line,
        first.column,
        first.question_id,
        first.field,
        f"on {len(hits)} of {total} seeds ({seeds}); the first: {first.message}",
    )

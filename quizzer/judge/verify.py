"""Prove that the bank's coding tasks are judged as they claim: each reference
solution passes, and each known-bad variant fails, first at the check it names.

Called by `quizzer bank verify` (quizzer.commands.bank) with the loaded bank; a
variant that slips through, or fails somewhere else, shows that a check is weak or
the task is wrong, and comes back as a bank `Problem`.
"""

from __future__ import annotations

from collections.abc import Callable

from quizzer.bank.loader import Bank
from quizzer.bank.models import Coding
from quizzer.bank.problems import Problem
from quizzer.judge.result import JudgeResult, Status
from quizzer.judge.runner import Options, judge_file, open_sandbox
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
    where = bank.location(task.id)
    options = Options(device="cpu", seed=seed)

    def problem(field: str, message: str) -> Problem:
        return Problem(where.path, where.line, where.column, task.id, field, message)

    problems = []
    progress(f"judging {task.id}: reference {task.reference}")
    result = judge_file(bank.resolve(task.id, task.reference), task, sandbox, options)
    if not result.passed:
        problems.append(
            problem(
                "reference",
                f"the reference solution {task.reference} does not pass "
                f"(seed {seed}): {result.message}",
            )
        )
    for index, variant in enumerate(task.variants):
        progress(f"judging {task.id}: variant {variant.path} (must fail at {variant.fails_at})")
        result = judge_file(bank.resolve(task.id, variant.path), task, sandbox, options)
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


def verify_tasks(
    bank: Bank,
    *,
    progress: Callable[[str], None] | None = None,
    sandbox: Sandbox | None = None,
    seed: int = VERIFY_SEED,
) -> list[Problem]:
    """Every problem found by judging each task's reference and variants (on CPU)."""
    report = progress or (lambda _message: None)
    own = sandbox is None
    box = open_sandbox() if sandbox is None else sandbox
    try:
        problems: list[Problem] = []
        for task in bank.tasks():
            problems += verify_task(bank, task, box, seed, report)
        return problems
    finally:
        if own:
            box.close()

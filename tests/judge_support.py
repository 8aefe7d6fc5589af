"""Helpers for the judge tests: the bundled tasks, and a judge call in one line."""

from __future__ import annotations

from pathlib import Path

from quizzer.bank.loader import load_bank
from quizzer.bank.models import Coding

REPO = Path(__file__).resolve().parents[1]
TASKS = REPO / "questions" / "tasks"


def task(task_id: str, **limits: float) -> Coding:
    coding = load_bank([TASKS / task_id], include_bundled=False).get(task_id)
    assert isinstance(coding, Coding)
    if limits:
        spec = coding.spec.model_copy(
            update={"limits": coding.spec.limits.model_copy(update=limits)}
        )
        coding = coding.model_copy(update={"spec": spec})
    return coding


def judge_source(source: str, task_id: str = "simple-nn", seed: int = 7, **limits: float):
    from quizzer.judge.runner import Options, judge_bytes, open_sandbox

    return judge_bytes(
        source.encode(), task(task_id, **limits), open_sandbox(), Options(device="cpu", seed=seed)
    )


GOOD_NN = (TASKS / "simple-nn" / "reference.py").read_text()

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


_WARM: list = []


def warm_sandbox():
    """One warm process sandbox per test process (a fresh interpreter per judgement,
    as the "none" sandbox starts, costs seconds each); "none" where this machine cannot
    run the process sandbox. `test_judge_sandbox_none.py` covers "none" itself."""
    if not _WARM:
        import atexit

        from quizzer.errors import SandboxError
        from quizzer.judge.runner import open_sandbox

        try:
            box = open_sandbox("process", allow_weak=True)
        except SandboxError:
            box = open_sandbox("none")
        atexit.register(box.close)
        _WARM.append(box)
    return _WARM[0]


def judge_source(
    source: str, task_id: str = "simple-nn", seed: int = 7, sandbox=None, **limits: float
):
    """Judge `source` on the task. A source that never names the task's class gets a
    comment that does, so that the judge runs it in the sandbox (what these tests are
    about) instead of failing it before any run."""
    from quizzer.judge.runner import Options, judge_bytes

    coding = task(task_id, **limits)
    if coding.class_name not in source:
        source += f"\n# {coding.class_name}: named so that the sandbox runs this file\n"
    box = sandbox or warm_sandbox()
    return judge_bytes(source.encode(), coding, box, Options(device="cpu", seed=seed))


GOOD_NN = (TASKS / "simple-nn" / "reference.py").read_text()


def write_task_folder(
    folder: Path, spec_lines: str, *, class_name: str = "f", fails_at: str = "load"
) -> None:
    """A minimal coding task in `folder` for tests of `bank validate`: `spec_lines` is
    the spec's YAML (indented six spaces), starting on line 12 of task.yaml."""
    (folder / "bad").mkdir(parents=True)
    for name in ("starter.py", "reference.py", "bad/x.py"):
        (folder / name).write_text("pass\n")
    (folder / "task.yaml").write_text(
        "questions:\n"
        "  - id: spec-probe\n"
        "    type: coding\n"
        "    topic: tasks\n"
        "    difficulty: easy\n"
        "    prompt: p\n"
        "    explanation: e\n"
        f"    class_name: {class_name}\n"
        "    starter: starter.py\n"
        "    reference: reference.py\n"
        "    spec:\n" + spec_lines + "    variants:\n"
        f"      - {{path: bad/x.py, fails_at: {fails_at}, why: w}}\n",
        encoding="utf-8",
    )

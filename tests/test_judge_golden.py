"""Golden judge cases: each folder in tests/judge_cases holds a submission and the
verdict it must get (overall and per check), judged through the real command line
(`python -m quizzer judge ... --json`). Correct solutions in several styles must pass;
every failure class and every forging attempt must not. A case may name a bank file
instead of holding a copy (`"submission": "questions/tasks/<id>/bad/x.py"`), so each
task's reference and known-bad variants are golden cases without duplicates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CASES_DIR = REPO / "tests" / "judge_cases"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
#: A fixed seed keeps the suite reproducible; every case must hold for any seed.
SEED = "1234"


def expected(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


def submission(case: Path) -> Path:
    named = expected(case).get("submission")
    return REPO / named if named else case / "submission.py"


_JUDGED: dict[str, dict[str, dict]] = {}


def judged(task: str) -> dict[str, dict]:
    """One `quizzer judge` call over all of `task`'s cases, keyed by case name; made
    once per test process (the cases of one task share an xdist group, so one worker
    judges each task)."""
    if task in _JUDGED:
        return _JUDGED[task]
    cases = [c for c in CASES if expected(c)["task"] == task]
    files = [str(submission(c)) for c in cases]
    command = [sys.executable, "-m", "quizzer", "judge", *files, "--task", task]
    done = subprocess.run(
        [*command, "--seed", SEED, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=900,
    )
    docs = json.loads(done.stdout)
    docs = docs if isinstance(docs, list) else [docs]
    any_failed = any(d["status"] != "pass" for d in docs)
    assert done.returncode == (1 if any_failed else 0), done.stderr
    _JUDGED[task] = {case.name: doc for case, doc in zip(cases, docs, strict=True)}
    return _JUDGED[task]


def test_there_are_enough_cases_for_both_tasks():
    tasks = [expected(c)["task"] for c in CASES]
    assert len(CASES) >= 25
    assert {"simple-nn", "simple-cnn"} <= set(tasks)
    assert sum(expected(c)["status"] == "pass" for c in CASES) >= 8
    assert sum(c.name.startswith("forge_") for c in CASES) >= 6


def test_every_task_with_bank_file_cases_covers_its_reference_and_variants():
    """Where a task's cases name bank files, every one of its files has a case, with
    the verdict `bank verify` also demands: the reference passes, each variant fails
    first at its `fails_at`."""
    from quizzer.bank.loader import load_bank

    bank = load_bank([REPO / "questions" / "tasks"], include_bundled=False)
    named = {expected(c)["submission"]: expected(c) for c in CASES if "submission" in expected(c)}
    tasks = {want["task"] for want in named.values()}
    assert len(tasks) >= 8
    for task in bank.tasks():
        if task.id not in tasks:
            continue
        folder = f"questions/tasks/{task.id}/"
        ref = named[folder + task.reference]
        assert ref["status"] == "pass" and set(ref["checks"].values()) == {"pass"}
        for variant in task.variants:
            want = named[folder + variant.path]
            first = next(n for n, s in want["checks"].items() if s != "pass")
            assert (first, want["checks"][first]) == (variant.fails_at, "fail"), variant.path
            assert want.get("message_contains"), f"{variant.path}: say what the message shows"
    alternatives = {}
    for case in CASES:
        want = expected(case)
        if "submission" not in want and want["status"] == "pass" and want["task"] in tasks:
            alternatives[want["task"]] = alternatives.get(want["task"], 0) + 1
    assert all(alternatives.get(t, 0) >= 2 for t in tasks), alternatives


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xdist_group(f"golden-{expected(c)['task']}"))
        for c in CASES
    ],
    ids=[c.name for c in CASES],
)
def test_golden_case(case: Path):
    want = expected(case)
    doc = judged(want["task"])[case.name]
    got_checks = {c["name"]: c["status"] for c in doc["checks"]}
    assert got_checks == want["checks"], json.dumps(doc["checks"], indent=2)
    assert doc["status"] == want["status"], doc["message"]
    text = "\n".join(c["message"] for c in doc["checks"])
    for fragment in want.get("message_contains", []):
        assert fragment in text, text
    if case.name.startswith("forge_"):
        assert doc["status"] != "pass"

"""Golden judge cases: each folder in tests/judge_cases holds a submission and the
verdict it must get (overall and per check), judged through the real command line
(`python -m quizzer judge ... --json`). Correct solutions in several styles must pass;
every failure class and every forging attempt must not."""

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


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict]:
    """One `quizzer judge` call per task over all its cases, keyed by case name."""
    by_task: dict[str, list[Path]] = {}
    for case in CASES:
        by_task.setdefault(expected(case)["task"], []).append(case)
    found: dict[str, dict] = {}
    for task, cases in by_task.items():
        files = [str(c / "submission.py") for c in cases]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "quizzer",
                "judge",
                *files,
                "--task",
                task,
                "--seed",
                SEED,
                "--json",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=900,
        )
        docs = json.loads(done.stdout)
        docs = docs if isinstance(docs, list) else [docs]
        any_failed = any(d["status"] != "pass" for d in docs)
        assert done.returncode == (1 if any_failed else 0), done.stderr
        for case, doc in zip(cases, docs, strict=True):
            found[case.name] = doc
    return found


def test_there_are_enough_cases_for_both_tasks():
    tasks = [expected(c)["task"] for c in CASES]
    assert len(CASES) >= 25
    assert {"simple-nn", "simple-cnn"} <= set(tasks)
    assert sum(expected(c)["status"] == "pass" for c in CASES) >= 8
    assert sum(c.name.startswith("forge_") for c in CASES) >= 6


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path, verdicts: dict[str, dict]):
    want = expected(case)
    doc = verdicts[case.name]
    got_checks = {c["name"]: c["status"] for c in doc["checks"]}
    assert got_checks == want["checks"], json.dumps(doc["checks"], indent=2)
    assert doc["status"] == want["status"], doc["message"]
    text = "\n".join(c["message"] for c in doc["checks"])
    for fragment in want.get("message_contains", []):
        assert fragment in text, text
    if case.name.startswith("forge_"):
        assert doc["status"] != "pass"

"""Golden judge cases: each folder in tests/judge_cases holds a submission and the
verdict it must get (overall and per check), judged by the runner the command line
uses, with the same options (`judged`); a check whose verdict depends on the seed is
listed under "varies", with the reason, instead. Correct solutions in several styles
must pass; every failure class and every forging attempt must not. A case may name a bank file
instead of holding a copy (`"submission": "questions/tasks/<id>/bad/x.py"`), so each
task's reference and known-bad variants are golden cases without duplicates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CASES_DIR = REPO / "tests" / "judge_cases"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())
#: A fixed seed keeps the suite reproducible; every case must hold for any seed.
#: QUIZZER_GOLDEN_SEEDS=3,7 judges every case on those seeds as well (an audit: on
#: 2026-12-01, seeds 1, 2, 3, 7, 99 and 31337 found three cases that held only by the
#: seed's luck: two correct beam searches, now scored with `ties`, and two checks now
#: listed under "varies").
SEED = 1234
SEEDS = (SEED, *(int(s) for s in os.environ.get("QUIZZER_GOLDEN_SEEDS", "").split(",") if s))


def expected(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


def submission(case: Path) -> Path:
    named = expected(case).get("submission")
    return REPO / named if named else case / "submission.py"


def judged(case: Path, seed: int = SEED) -> dict:
    """The case's result document, judged in this test process on the shared warm
    sandbox (`tests/judge_support.py`) with the fixed seed, as `quizzer judge FILE
    --task ID --seed SEED --json` judges it: same runner, same options, same document
    (`tests/test_judge_cli.py` covers the command line itself, and
    `tests/test_judge_service.py` that the service gives the same documents). A task's
    cases share an xdist group, so one worker plans its reference and replays its known
    mistakes once."""
    from quizzer.judge.runner import Options, judge_file
    from tests.judge_support import task, warm_sandbox

    want = expected(case)
    path = submission(case)
    result = judge_file(
        path,
        task(want["task"]),
        warm_sandbox(),
        Options(device="cpu", seed=seed),
    )
    return result.model_dump(mode="json")


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
    # "varies": checks whose verdict depends on the seed, each with the reason; they
    # must run, and every other check must be exactly as written
    varies = want.get("varies", {})
    assert all(isinstance(why, str) and why for why in varies.values()), "say why it varies"
    for seed in SEEDS:
        doc = judged(case, seed)
        got_checks = {c["name"]: c["status"] for c in doc["checks"]}
        shown = f"seed {seed}: " + json.dumps(doc["checks"], indent=2)
        assert set(got_checks) == set(want["checks"]) | set(varies), shown
        fixed = {k: v for k, v in got_checks.items() if k not in varies}
        assert fixed == want["checks"], shown
        assert doc["status"] == want["status"], f"seed {seed}: {doc['message']}"
        text = "\n".join(c["message"] for c in doc["checks"])
        for fragment in want.get("message_contains", []):  # "{seed}": the seed judged
            assert fragment.replace("{seed}", str(seed)) in text, f"seed {seed}: {text}"
        if case.name.startswith("forge_"):
            assert doc["status"] != "pass"

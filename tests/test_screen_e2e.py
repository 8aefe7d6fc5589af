"""The hiring screen end to end, with the real judge: write a candidate's paper, fill
in the answers (some right, some wrong, one of the wrong type, one left empty, an open
one), hand in one passing and one failing solution file, grade, and check every
number in results.json, the JUnit file and the exit code. Once with the default
sandbox, once with the Docker sandbox where an engine runs; then many candidates at
once on the warm workers, which must give the same scores as grading one by one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from quizzer.screen import sampling
from quizzer.screen.load import load_screen
from quizzer.screen.paper import build_paper
from tests.sandbox_support import docker_or_skip
from tests.screen_fixtures.support import (
    SCREEN,
    SOLUTIONS,
    fill_template,
    right_answer,
    wrong_answer,
)

pytestmark = pytest.mark.slow

LOADED = load_screen(SCREEN)


def hand_in(
    run_cli, folder: Path, candidate: str, *, mlp: str = "fix-mlp-detached.py", answer: bool = True
) -> dict[str, str]:
    """Write the paper of `candidate` to `folder`, fill it in (unless not `answer`), add
    the solution files; return bank id (and "draw-right"/"draw-wrong") -> label."""
    result = run_cli("screen", "paper", SCREEN, "--candidate", candidate, "--out", folder)
    assert result.exit_code == 0, result.stderr
    paper = build_paper(LOADED, candidate)
    at = {i.question_id: i.label for i in paper.questions()}
    drawn = [i for i in paper.questions() if i.source == "draw"]
    at["draw-right"], at["draw-wrong"] = drawn[0].label, drawn[1].label
    q = LOADED.bank.get
    values = {
        at["pub-single"]: "a",  # right: 1 of 1
        at["pub-multi"]: "[a]",  # half the right picks: 1 of 2
        at["pub-tf"]: "true",  # wrong: 0 of 1
        at["pub-numeric"]: "55",  # right: 3 of 3
        # text with colons, typed under the template's `|-`: read as written, wrong: 0 of 1
        at["pub-short"]: '"step: then zero_grad: {x}"',
        # pub-code stays empty: 0 of 1
        at["private-open"]: '"Reproduce with a fixed seed; check the data."',  # pending: 4
        at["draw-right"]: json.dumps(right_answer(q(drawn[0].question_id))),  # 1 of 1
        at["draw-wrong"]: json.dumps(wrong_answer(q(drawn[1].question_id))),  # 0 of 1
    }
    if answer:
        fill_template(folder / "answers.yaml", values)
    shutil.copyfile(SOLUTIONS / "fix-linear-pass.py", folder / "solutions" / "fix-linear.py")
    shutil.copyfile(SOLUTIONS / mlp, folder / "solutions" / "fix-mlp.py")
    return at


def items_by_label(doc: dict) -> dict[str, dict]:
    return {i["label"]: i for s in doc["sections"] for i in s["items"]}


def check_numbers(doc: dict, at: dict[str, str], candidate: str, sandbox: str) -> None:
    items = items_by_label(doc)
    concept = {
        "pub-single": ("right", 1.0, 1.0),
        "pub-multi": ("partial", 1.0, 2.0),
        "pub-tf": ("wrong", 0.0, 1.0),
        "pub-numeric": ("right", 3.0, 3.0),
        "pub-short": ("wrong", 0.0, 1.0),
        "pub-code": ("missing", 0.0, 1.0),
        "private-open": ("pending", None, 4.0),
        "draw-right": ("right", 1.0, 1.0),
        "draw-wrong": ("wrong", 0.0, 1.0),
    }
    for key, want in concept.items():
        item = items[at[key]]
        assert (item["status"], item["points"], item["max_points"]) == want, key
    assert items[at["pub-short"]]["response"] == "step: then zero_grad: {x}"

    linear, mlp = items["fix-linear"], items["fix-mlp"]
    assert (linear["status"], linear["points"], linear["max_points"]) == ("pass", 10.0, 10.0)
    # Equal weights over the 3 checks after load (loading earns nothing by itself).
    assert [(c["name"], c["status"], c["points"], c["max_points"]) for c in linear["checks"]] == [
        ("load", "pass", 0.0, 0.0),
        ("shapes", "pass", 3.3333, 3.3333),
        ("gradients", "pass", 3.3333, 3.3333),
        ("learning", "pass", 3.3333, 3.3333),
    ]
    # Weights load 1, shapes 1, gradients 2, learning 2 of 6 points: a detached output
    # builds and has the right shapes (2 points) but gets no gradient and cannot learn.
    assert (mlp["status"], mlp["points"], mlp["max_points"]) == ("fail", 2.0, 6.0)
    checks = {c["name"]: c for c in mlp["checks"]}
    assert [
        (n, checks[n]["status"], checks[n]["points"], checks[n]["max_points"])
        for n in ("load", "shapes", "gradients")
    ] == [
        ("load", "pass", 1.0, 1.0),
        ("shapes", "pass", 1.0, 1.0),
        ("gradients", "fail", 0.0, 2.0),
    ]
    assert checks["learning"]["status"] != "pass"
    assert (checks["learning"]["points"], checks["learning"]["max_points"]) == (0.0, 2.0)
    for task in (linear, mlp):
        judge = task["judge"]
        assert judge["sandbox"] == sandbox
        assert judge["device"] == "cpu"
        assert judge["seed"] == sampling.judge_seed(7, candidate, task["label"])

    concepts, coding = doc["sections"]
    assert (concepts["points"], concepts["pending_points"], concepts["max_points"]) == (
        6.0,
        4.0,
        15.0,
    )
    assert (concepts["percent"], concepts["status"]) == (40.0, "pass")  # needs 2 points
    assert (coding["points"], coding["pending_points"], coding["max_points"]) == (12.0, 0.0, 16.0)
    assert (coding["percent"], coding["status"]) == (75.0, "pass")  # needs 40%
    assert coding["threshold"] == {"rule": "40%", "required_points": 6.4}
    # 18 of 31 already reach the 15.5 needed: passed, whatever the review gives.
    assert (doc["points"], doc["pending_points"], doc["max_points"]) == (18.0, 4.0, 31.0)
    assert (doc["percent"], doc["status"]) == (58.06, "pass")
    assert doc["threshold"] == {"rule": "50%", "required_points": 15.5}


def check_junit(path: Path, candidate: str) -> None:
    root = ET.parse(path).getroot()
    suites = {s.get("name"): s for s in root}
    counts = {
        name: tuple(s.get(k) for k in ("tests", "failures", "errors", "skipped"))
        for name, s in suites.items()
    }
    assert counts[f"{candidate}: pass marks"] == ("3", "0", "0", "0")
    # right x3 pass; partial, wrong x3, missing fail; the open one is skipped.
    assert counts[f"{candidate}.concepts"] == ("9", "5", "0", "1")
    coding = suites[f"{candidate}.coding"]
    assert coding.get("tests") == "8"  # 4 checks of each task
    assert (
        int(coding.get("failures")) + int(coding.get("errors")) == 2
    )  # fix-mlp's gradients, learning
    failed = [
        c.get("name")
        for c in coding
        if c.find("failure") is not None or c.find("error") is not None
    ]
    assert failed == ["fix-mlp: gradients", "fix-mlp: learning"]
    assert root.get("tests") == "20"


@pytest.mark.parametrize("sandbox", ["process", pytest.param("docker", marks=pytest.mark.docker)])
def test_a_paper_graded_end_to_end(run_cli, tmp_path, sandbox):
    if sandbox == "docker":
        docker_or_skip()
    at = hand_in(run_cli, tmp_path / "dana", "dana")
    out = tmp_path / "report"
    result = run_cli(
        "screen",
        "grade",
        SCREEN,
        "-c",
        "dana",
        "-s",
        tmp_path / "dana",
        "-o",
        out,
        "--sandbox",
        sandbox,
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = json.loads((out / "results.json").read_text())
    check_numbers(doc, at, "dana", sandbox)
    check_junit(out / "junit.xml", "dana")
    check_junit(out / "candidate" / "junit.xml", "dana")
    seen = json.loads((out / "candidate" / "results.json").read_text())
    assert seen["points"] == 18.0
    assert all(
        t["judge"]["seed"] is None
        for t in (items_by_label(seen)[k] for k in ("fix-linear", "fix-mlp"))
    )
    assert all(c["metrics"] == {} for c in items_by_label(seen)["fix-mlp"]["checks"])


def test_many_candidates_on_warm_workers_score_as_one_by_one(run_cli, tmp_path):
    root = tmp_path / "candidates"
    at = hand_in(run_cli, root / "dana", "dana")
    # erin answers nothing and hands in the FixLinear file for fix-mlp too (no FixMLP).
    hand_in(run_cli, root / "erin", "erin", mlp="fix-linear-pass.py", answer=False)
    out = tmp_path / "out"
    result = run_cli(
        "screen",
        "grade",
        SCREEN,
        "--candidates",
        root,
        "-o",
        out,
        "--workers",
        "2",
        "--sandbox",
        "process",
    )
    assert result.exit_code == 1, result.stderr  # erin did not pass
    progress = [line for line in result.stderr.splitlines() if re.match(r"\[\d/4\] ", line)]
    assert len(progress) == 4  # one progress line per judged file
    # dana's numbers are the same as when she is graded alone (test above).
    check_numbers(json.loads((out / "dana" / "results.json").read_text()), at, "dana", "process")
    erin = json.loads((out / "erin" / "results.json").read_text())
    items = items_by_label(erin)
    assert (items["fix-linear"]["status"], items["fix-linear"]["points"]) == ("pass", 10.0)
    mlp = items["fix-mlp"]
    assert (mlp["status"], mlp["points"]) == ("fail", 0.0)
    assert (mlp["checks"][0]["name"], mlp["checks"][0]["status"]) == ("load", "fail")
    concepts, coding = erin["sections"]
    assert (concepts["points"], concepts["status"]) == (0.0, "fail")  # needs 2 points
    assert (coding["points"], coding["percent"], coding["status"]) == (10.0, 62.5, "pass")
    assert (erin["points"], erin["status"]) == (10.0, "fail")
    assert erin["message"] == "did not pass: 10 of 31 points (32.26%), needs 50%"
    rows = list(csv.DictReader(io.StringIO((out / "leaderboard.csv").read_text())))
    assert [(r["rank"], r["candidate"], r["status"], r["points"]) for r in rows] == [
        ("1", "dana", "pass", "18"),
        ("2", "erin", "fail", "10"),
    ]
    assert [(r["concepts_points"], r["coding_points"]) for r in rows] == [("6", "12"), ("0", "10")]
    # both handed in the same fix-linear file: flagged for the reviewer on each side
    assert (
        "fix-linear: identical to erin"
        in items_by_label(json.loads((out / "dana" / "results.json").read_text()))["fix-linear"][
            "similar"
        ]
    )
    assert "fix-linear: identical to dana" in items["fix-linear"]["similar"]
    assert "fix-linear: identical to erin" in rows[0]["similar"]
    assert "Similar solution files" in (out / "dana" / "summary.md").read_text()
    assert "Similar" not in (out / "dana" / "candidate" / "summary.md").read_text()
    seen = json.loads((out / "dana" / "candidate" / "results.json").read_text())
    assert all(not i["similar"] for s in seen["sections"] for i in s["items"])

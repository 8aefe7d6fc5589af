"""Reading the judge's event stream: check lines, the result document, noise, and a
judge that dies without a verdict (never a pass)."""

from __future__ import annotations

import asyncio
import json
import sys

from quizzer.tui.judging import CheckEvent, parse_line, run_judge


def test_a_check_event_line_becomes_a_check():
    line = json.dumps({"event": "check", "file": "x.py", "check": {
        "name": "shapes", "status": "fail", "message": "expected (B, 3)",
        "metrics": {"batch": 7}}})  # fmt: skip
    assert parse_line(line) == CheckEvent("shapes", "fail", "expected (B, 3)", {"batch": 7})


def test_the_result_document_is_recognised():
    doc = {"schema_version": 1, "status": "pass", "checks": [{"name": "load", "status": "pass"}]}
    assert parse_line(json.dumps(doc)) == doc


def test_other_lines_are_ignored():
    for line in ["", "Traceback (most recent call last):", "{not json", "[1, 2]",
                 json.dumps({"event": "start", "file": "x.py"}),
                 json.dumps({"event": "summary", "total": 1, "passed": 1})]:  # fmt: skip
        assert parse_line(line) is None, line


def run(script: str, tmp_path) -> tuple[list[CheckEvent], object]:
    path = tmp_path / "judge.py"
    path.write_text(script)
    seen: list[CheckEvent] = []
    outcome = asyncio.run(run_judge([sys.executable, str(path)], seen.append))
    return seen, outcome


def test_a_judge_that_dies_without_a_verdict_is_an_error(tmp_path):
    seen, outcome = run(
        "import sys\n"
        'print(\'{"name": "load", "status": "pass"}\', flush=True)\n'
        "sys.stderr.write('worker crashed: out of memory')\n"
        "sys.exit(0)\n",
        tmp_path,
    )
    assert [c.name for c in seen] == ["load"]
    assert outcome.status == "error" and "out of memory" in outcome.message
    assert outcome.document is None


def test_a_fake_pass_line_without_a_document_is_not_a_pass(tmp_path):
    _, outcome = run("print('PASSED all checks')\n", tmp_path)
    assert outcome.status == "error"


def test_the_verdict_comes_from_the_document(tmp_path):
    doc = {"status": "fail", "message": "learning: no progress",
           "checks": [{"name": "learning", "status": "fail", "message": "ratio 0.98"}]}  # fmt: skip
    _, outcome = run(f"print({json.dumps(json.dumps(doc))})\n", tmp_path)
    assert outcome.status == "fail" and outcome.message == "learning: no progress"
    assert outcome.checks == (CheckEvent("learning", "fail", "ratio 0.98", {}),)

"""`quizzer judge` through the real CLI: exit codes, usage errors with suggestions,
the readable report, --json against the shipped schema, --junit, --markdown and the
--events stream that the practice UI reads."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from quizzer.judge import device as device_module
from quizzer.judge.result import SCHEMA_PATH
from quizzer.tui.judging import CheckEvent, parse_line
from tests.judge_support import TASKS

GOOD = TASKS / "simple-nn" / "reference.py"
BAD = TASKS / "simple-nn" / "bad" / "wrong_output_size.py"
SCHEMA = json.loads(SCHEMA_PATH.read_text())


def test_a_passing_file_exits_0_with_a_readable_report(run_cli):
    result = run_cli("judge", GOOD, "--task", "simple-nn", "--device", "cpu")
    assert result.exit_code == 0, result.stderr
    for name in ("load", "shapes", "promises", "device", "gradients", "train_eval", "learning"):
        assert f"PASS  {name}" in result.stdout
    assert "PASS: 7/7 checks passed" in result.stdout
    assert "  sandbox " in result.stdout  # the protections in force are printed


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_json_validates_against_the_schema_and_exit_1_when_not_passed(run_cli, tmp_path):
    junit, md = tmp_path / "out" / "junit.xml", tmp_path / "summary.md"
    result = run_cli(
        "judge",
        GOOD,
        BAD,
        "--task",
        "simple-nn",
        "--json",
        "--seed",
        "5",
        "--junit",
        junit,
        "--markdown",
        md,
    )
    assert result.exit_code == 1
    docs = json.loads(result.stdout)
    assert [d["status"] for d in docs] == ["pass", "fail"]
    for doc in docs:
        jsonschema.validate(doc, SCHEMA)
        assert doc["seed"] == 5
    assert "[2/2]" in result.stderr  # progress for several files
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "14" and root.get("failures") == "1" and root.get("skipped") == "5"
    failure = root.find(".//testcase[@name='shapes']/failure")
    assert failure is not None and "expected (1, 3)" in failure.get("message", "")
    text = md.read_text()
    assert "1/2 passed" in text and "| `shapes` | ❌ fail |" in text


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_events_stream_is_read_by_the_practice_ui(run_cli):
    result = run_cli("judge", BAD, "--task", "simple-nn", "--events")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["event"] == "start" and lines[-1]["event"] == "summary"
    parsed = [parse_line(line) for line in result.stdout.splitlines()]
    checks = [p for p in parsed if isinstance(p, CheckEvent)]
    assert [c.name for c in checks] == [
        "load",
        "shapes",
        "promises",
        "device",
        "gradients",
        "train_eval",
        "learning",
    ]
    documents = [p for p in parsed if isinstance(p, dict)]
    assert len(documents) == 1 and documents[0]["status"] == "fail"
    jsonschema.validate(documents[0], SCHEMA)


def test_unknown_task_is_a_usage_error_with_a_suggestion(run_cli):
    result = run_cli("judge", GOOD, "--task", "simple-mn")
    assert result.exit_code == 2
    assert "did you mean 'simple-nn'" in result.stderr


def test_missing_file_is_a_usage_error(run_cli, tmp_path):
    result = run_cli("judge", tmp_path / "nope.py", "--task", "simple-nn")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_cuda_without_a_gpu_is_a_usage_error(run_cli, monkeypatch):
    monkeypatch.setattr(device_module, "cuda_device_count", lambda: 0)
    result = run_cli("judge", GOOD, "--task", "simple-nn", "--device", "cuda")
    assert result.exit_code == 2
    assert "--device cuda" in result.stderr and "no CUDA GPU" in result.stderr


@pytest.mark.parametrize("args", [["--device", "tpu"], ["--json", "--events"]])
def test_bad_options_are_usage_errors(run_cli, args):
    result = run_cli("judge", GOOD, "--task", "simple-nn", *args)
    assert result.exit_code == 2


def test_a_concept_question_is_not_a_task(run_cli):
    from quizzer.bank.loader import load_bank

    concept = next(q.id for q in load_bank().questions if q.type != "coding")
    result = run_cli("judge", GOOD, "--task", concept)
    assert result.exit_code == 2
    assert "not a coding task" in result.stderr


def test_help_names_every_option(run_cli):
    result = run_cli("judge", "--help")
    assert result.exit_code == 0
    for option in ("--task", "--device", "--json", "--junit", "--markdown", "--seed", "--events"):
        assert option in result.stdout


def test_a_sandbox_that_will_not_start_is_retried_once_then_exits_3(run_cli, monkeypatch):
    """An infrastructure failure is not a verdict: the file is `error` with
    `infrastructure: true`, and the command exits 3 (not 1), so CI can tell a broken
    machine from a failing submission. One failed start alone is retried."""
    from quizzer.errors import SandboxError
    from quizzer.judge.sandbox.none import NoSandbox

    starts: list[int] = []
    failures = {"first": 2}
    real_run = NoSandbox.run

    def flaky(self, request):
        starts.append(1)
        if len(starts) <= failures["first"]:
            raise SandboxError("the run cgroup could not be made", title="process sandbox")
        return real_run(self, request)

    monkeypatch.setattr(NoSandbox, "run", flaky)
    result = run_cli(
        "judge", BAD, "--task", "simple-nn", "--sandbox", "none", "--allow-weak-sandbox", "--json"
    )
    assert result.exit_code == 3, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["status"] == "error" and doc["infrastructure"] is True
    assert "could not start, twice" in doc["message"] and "not the submission's" in doc["message"]
    assert len(starts) == 2

    starts.clear()
    failures["first"] = 1
    result = run_cli(
        "judge", BAD, "--task", "simple-nn", "--sandbox", "none", "--allow-weak-sandbox", "--json"
    )
    assert result.exit_code == 1  # judged on the second start: the file's own verdict
    doc = json.loads(result.stdout)
    assert doc["status"] == "fail" and doc["infrastructure"] is False
    assert len(starts) == 2

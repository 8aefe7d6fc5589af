"""Judge messages name the learner's file, not the worker's: the worker compiles every
submission as `submission.py` (it tells the submission's frames from the judge's own by
that name and never learns the real path), and the trusted side puts the path the user
gave in its place, so that `submissions/simple_nn.py:12` takes an editor to the line.

Golden cases through the real command line: a syntax error (found before any worker
runs, so fast) and a run-time error (needs the sandbox, so slow)."""

from __future__ import annotations

import json

import pytest

from quizzer.judge import explain
from tests.judge_support import TASKS

SYNTAX_ERROR = (TASKS / "simple-nn" / "bad" / "syntax_error.py").read_text("utf-8")

#: fc2 expects 4 features but fc1 gives 5: forward raises on line 13.
RUNTIME_ERROR = """\
import torch
import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(4, 3)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        return self.fc2(x)
"""


def _judge(run_cli, tmp_path, monkeypatch, source: str, *options: str):
    """`quizzer judge submissions/simple_nn.py --task simple-nn` from `tmp_path`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "submissions").mkdir()
    (tmp_path / "submissions" / "simple_nn.py").write_text(source, encoding="utf-8")
    args = ["judge", "submissions/simple_nn.py", "--task", "simple-nn", "--no-server"]
    return run_cli(*args, "--device", "cpu", *options)


# --- the mapping itself ----------------------------------------------------------------


def test_traceback_and_syntax_lines_name_the_shown_file():
    error = {
        "type": "RuntimeError",
        "message": "boom",
        "frames": [[12, "forward", "x = self.fc1(x)"]],
    }
    text = explain.name_file(explain.exception(error, "forward"), "submissions/simple_nn.py")
    assert "  submissions/simple_nn.py:12 in forward: x = self.fc1(x)" in text
    syntax = explain.syntax_error(
        {"type": "SyntaxError", "message": "invalid syntax", "lineno": 3, "offset": 9,
         "text": "    x = = 1"}
    )  # fmt: skip
    named = explain.name_file(syntax, "submissions/simple_nn.py")
    assert named.splitlines()[0] == "submissions/simple_nn.py:3:9: SyntaxError: invalid syntax"


def test_only_the_workers_name_is_replaced():
    text = "submission.py:3 and my_submission.py, dir/submission.py, submission.pyc, reference.py"
    assert explain.name_file(text, "a.py") == (
        "a.py:3 and my_submission.py, dir/submission.py, submission.pyc, reference.py"
    )
    assert explain.name_file(text, "submission.py") == text


def test_a_file_name_cannot_forge_message_lines():
    named = explain.name_file("submission.py:1: SyntaxError", "evil\nPASS  load.py")
    assert named == "evil\\nPASS  load.py:1: SyntaxError"
    assert len(named.splitlines()) == 1


class _NoRun:
    """A sandbox for files the judge fails before any run."""

    name = "unused"

    def protections(self) -> tuple[str, ...]:
        return ()

    def run(self, request):  # pragma: no cover - a syntax error never gets here
        raise AssertionError("the sandbox ran")


def test_the_name_goes_in_once_and_the_live_check_events_carry_it():
    from quizzer.judge.runner import judge_bytes
    from tests.judge_support import task

    seen = []
    result = judge_bytes(
        SYNTAX_ERROR.encode(), task("simple-nn"), _NoRun(), on_check=seen.append,  # type: ignore[arg-type]
        display="my submission.py",
    )  # fmt: skip
    (load,) = [c for c in seen if c.name == "load"]
    assert load.message.startswith("my submission.py:7:23: SyntaxError")
    assert result.checks[0] == load and result.submission == "my submission.py"
    assert result.message.startswith("load: my submission.py:7:23")


# --- through the command line ------------------------------------------------------------


def test_a_syntax_error_names_the_users_file_and_line(run_cli, tmp_path, monkeypatch):
    # --sandbox none: a syntax error is found before any worker starts.
    result = _judge(run_cli, tmp_path, monkeypatch, SYNTAX_ERROR, "--sandbox", "none")
    assert result.exit_code == 1, result.stderr
    assert "FAIL  load        submissions/simple_nn.py:7:23: SyntaxError" in result.stdout
    assert "submission.py" not in result.stdout.replace("submissions/", "")


def test_a_missing_class_names_the_users_file(run_cli, tmp_path, monkeypatch):
    source = "import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n"
    result = _judge(run_cli, tmp_path, monkeypatch, source, "--sandbox", "none", "--json")
    doc = json.loads(result.stdout)
    assert doc["checks"][0]["message"].startswith("submissions/simple_nn.py defines no SimpleNN")
    assert doc["message"].startswith("load: submissions/simple_nn.py defines no SimpleNN")


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_a_runtime_error_names_the_users_file_and_line(run_cli, tmp_path, monkeypatch):
    result = _judge(run_cli, tmp_path, monkeypatch, RUNTIME_ERROR, "--events")
    assert result.exit_code == 1, result.stderr
    checks = [
        json.loads(line)["check"]
        for line in result.stdout.splitlines()
        if json.loads(line).get("event") == "check"
    ]
    shapes = next(c for c in checks if c["name"] == "shapes")  # as the practice UI reads it
    assert shapes["status"] == "fail"
    assert "  submissions/simple_nn.py:13 in forward: return self.fc2(x)" in shapes["message"]
    assert "submission.py" not in shapes["message"].replace("submissions/", "")

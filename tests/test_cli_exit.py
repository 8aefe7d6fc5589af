"""The console script's exit (`quizzer.cli.run`): where the process imported torch it
skips Python's teardown, and must still flush its output, run the atexit handlers and
give the command's exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("torch_imported", [True, False])
def test_the_exit_flushes_output_runs_exit_handlers_and_keeps_the_code(tmp_path, torch_imported):
    ran = tmp_path / "ran"
    script = f"""
import atexit, sys
{"import torch" if torch_imported else ""}
from quizzer import cli

def command():
    atexit.register(lambda: open({str(ran)!r}, "w").write("yes"))
    sys.stdout.write("x" * 100000)  # still in the buffer when the command returns
    sys.exit(3)

cli.main = command
cli.run()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "x" * 100000
    assert ran.read_text() == "yes"


def test_a_message_exit_prints_it_and_gives_1():
    script = """
import sys
from quizzer import cli

def command():
    sys.exit("the reason")

cli.main = command
cli.run()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 1
    assert "the reason" in done.stderr

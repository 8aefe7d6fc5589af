"""What a run can read about the judge's machine from /proc: the command lines of the
processes it can see (its own included: it is a fork of the warm parent) and its mount
table. The read-only Python view is visible by design (its paths are the same inside);
the paths of the judge's own code, where bubblewrap lives and what it was told, are
not. Under the process sandbox and (where an engine runs) the Docker sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quizzer.judge.sandbox.base import RunRequest
from tests.sandbox_support import LIMITS, STUB_WORKER, docker_or_skip

# one worker builds the sandboxes once (a module fixture is built once per worker)
pytestmark = pytest.mark.xdist_group("sandbox-exposure")

REPO = Path(__file__).resolve().parents[1]
#: The judge's own code: never mounted, never on the path, nothing a run needs.
CODE = str(REPO / "quizzer")

PROBE = """
import os
cmdlines = {}
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            cmdlines[pid] = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            pass
ANSWER = {"cmdlines": cmdlines, "mountinfo": open("/proc/self/mountinfo").read()}
"""


@pytest.fixture(
    scope="module", params=["process", pytest.param("docker", marks=pytest.mark.docker)]
)
def sandbox(request):
    if request.param == "process":
        from quizzer.judge.sandbox.process import ProcessSandbox

        box = ProcessSandbox(worker=STUB_WORKER)
    else:
        docker_or_skip()
        from quizzer.judge.sandbox.docker import DockerSandbox

        box = DockerSandbox(worker=STUB_WORKER)
    yield box
    box.close()


def _look(sandbox) -> dict:
    outcome = sandbox.run(RunRequest(json.dumps({"source": PROBE}).encode(), LIMITS))
    reply = json.loads(outcome.reply)
    assert reply["ok"] is True, reply
    return reply["answer"]


def test_no_command_line_shows_the_judges_code(sandbox):
    seen = _look(sandbox)["cmdlines"]
    assert seen, "a run sees at least itself"
    for pid, cmdline in seen.items():
        assert CODE not in cmdline, (pid, cmdline)


def test_pid_1_shows_no_host_path(sandbox):
    """Process sandbox: pid 1 is bubblewrap (its options went through --args). Docker:
    pid 1 is the warm parent (it overwrote its own command line)."""
    pid1 = _look(sandbox)["cmdlines"]["1"].rstrip("\0").split("\0")
    assert pid1[0] == ("bwrap" if sandbox.name == "process" else "zygote.py"), pid1
    assert not [arg for arg in pid1 if arg.startswith("/")], pid1


def test_the_mount_table_shows_no_path_of_the_judges_code(sandbox):
    mountinfo = _look(sandbox)["mountinfo"]
    assert CODE not in mountinfo, mountinfo

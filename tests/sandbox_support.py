"""Helpers for the sandbox tests: small limits, a spy that keeps each run's raw
outcome, the processes a run may have left, and the backends as fixtures."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from quizzer.bank.models import Limits
from quizzer.judge.sandbox.base import RunOutcome, RunRequest
from tests import judge_support

HOSTILE = Path(__file__).resolve().parent / "hostile"
STUB_WORKER = HOSTILE / "_stub_worker.py"
#: Small limits keep the hostile tests fast; the margin is what "returns within the
#: time limit plus a small margin" allows on a loaded 2-core machine.
LIMITS = Limits(wall_s=3, cpu_s=1, memory_mb=256, processes=16, output_kb=64, file_mb=4)
MARGIN_S = 6.0
#: Markers on the command line of every process a run can start (forks of the warm
#: parent keep its command line; the corpus's own children carry "quizzer-hostile").
MARKERS = (b"zygote.py", b"quizzer-hostile")


class Spy:
    """Wraps a sandbox and remembers the raw outcome of the last run."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.last: RunOutcome | None = None

    def protections(self) -> tuple[str, ...]:
        return self.inner.protections()

    def run(self, request: RunRequest) -> RunOutcome:
        self.last = self.inner.run(request)
        return self.last

    def close(self) -> None:
        self.inner.close()


def scratch_mounts() -> list[str]:
    """The names in a fresh run's /tmp: none, unless the judge's Python environment
    lives under /tmp (a checkout there), whose read-only mounts then show."""
    from quizzer.judge.sandbox.view import python_view

    return sorted({p.split("/")[2] for p in python_view().ro_binds if p.startswith("/tmp/")})


def warm_parent_pids(sandbox) -> set[int]:
    """The long-lived warm parents (allowed to stay): the process sandbox's zygote and
    each live Docker container's pid 1 as the host sees it."""
    inner = getattr(sandbox, "inner", sandbox)
    pids = set()
    zygote = getattr(inner, "_zygote", None)
    if zygote is not None:
        pids.add(zygote.proc.pid)
    for c in list(getattr(inner, "live", ())):
        try:
            c.container.reload()
            pids.add(int(c.container.attrs["State"]["Pid"]))
        except Exception:
            pass
    return pids


def idle_run_pids(sandbox) -> set[int]:
    """The processes of the run the process sandbox made ready ahead of its request
    (allowed to stay while the sandbox is open; `close()` ends them)."""
    inner = getattr(sandbox, "inner", sandbox)
    idle = getattr(inner, "idle_pids", None)
    return idle() if callable(idle) else set()


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _roots() -> tuple[set[int], set[int]]:
    """Processes whose descendants belong to this test's judge (the pid 1 of its Docker
    containers, retired ones included), and those whose descendants belong to other
    tests running at the same time: the other pytest-xdist workers, and the pid 1 of
    Docker sandbox containers that other judges started."""
    me = os.getpid()
    mine: set[int] = set()
    foreign: set[int] = set()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        parent = os.getppid()
        foreign |= {int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == parent}
    try:
        from quizzer.judge.sandbox.docker import LABEL, client_or_error

        client = client_or_error(timeout=5)
        for c in client.containers.list(filters={"label": LABEL}, ignore_removed=True):
            ours = c.labels.get(f"{LABEL}.judge-pid") == str(me)
            (mine if ours else foreign).add(int(c.attrs["State"]["Pid"]))
    except Exception:  # no engine here: no containers at all
        pass
    return mine - {0}, foreign - {me, 0}


def _descends_from(pid: int, roots: set[int]) -> bool:
    for _ in range(64):
        if pid in roots:
            return True
        pid = _ppid(pid)
        if pid <= 1:
            return False
    return False


def strays(sandbox, wait_s: float = 5.0) -> list[str]:
    """Processes of past runs still alive after `wait_s` (empty when all is well): a
    run's process descends from this test (its sandboxes) or, if it escaped, was handed
    to the host's init. Processes of tests that run in parallel with this one (other
    xdist workers and their Docker containers, other judges on the machine) are not
    this test's runs and are left out."""
    deadline = time.monotonic() + wait_s
    while True:
        keep = warm_parent_pids(sandbox) | {os.getpid()}
        for other in judge_support._WARM:  # the judge tests' shared warm sandbox, idle
            keep |= warm_parent_pids(other)
        waiting = idle_run_pids(sandbox)  # a run made ready ahead, with no submission
        for other in judge_support._WARM:
            waiting |= idle_run_pids(other)
        mine, foreign = _roots()
        foreign_or_waiting = foreign | waiting
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) in keep:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read()
            except OSError:
                continue
            ours = _ppid(int(pid)) == 1 or _descends_from(int(pid), keep | mine)
            if (
                any(m in cmd for m in MARKERS)
                and ours
                and int(pid) not in waiting
                and not _descends_from(int(pid), foreign_or_waiting)
            ):
                found.append(f"{pid}: {cmd[:120]!r}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def docker_or_skip():
    """A Docker sandbox client, or skip: only for a missing engine."""
    from quizzer.errors import SandboxError
    from quizzer.judge.sandbox.docker import client_or_error

    try:
        return client_or_error(timeout=5)
    except SandboxError as exc:
        pytest.skip(f"no Docker engine can be reached here: {exc.msg}")

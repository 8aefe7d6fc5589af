"""Helpers for the sandbox tests: small limits, a spy that keeps each run's raw
outcome, the processes a run may have left, and the backends as fixtures."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from quizzer.bank.models import Limits
from quizzer.judge.sandbox.base import RunOutcome, RunRequest

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


def strays(sandbox, wait_s: float = 5.0) -> list[str]:
    """Processes of past runs still alive after `wait_s` (empty when all is well)."""
    deadline = time.monotonic() + wait_s
    while True:
        keep = warm_parent_pids(sandbox) | {os.getpid()}
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) in keep:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read()
            except OSError:
                continue
            if any(m in cmd for m in MARKERS):
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

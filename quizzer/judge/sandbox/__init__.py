"""Sandboxes that run the judge's worker on untrusted code. `base` holds the contract;
each backend (`none`, `process`, `docker`) lives in its own module, and `make_sandbox`
is the one place that picks and checks one (called by the judge and the benchmarks).

The judge never runs untrusted code with weaker isolation than it asked for: when the
chosen backend cannot give all of its protections here, `make_sandbox` raises a
`SandboxError` naming what is missing, unless `allow_weak=True` (`--allow-weak-sandbox`)
or the caller asked for `none` outright.
"""

from __future__ import annotations

from typing import Literal

from quizzer.errors import SandboxError, UsageError
from quizzer.judge.sandbox.base import RunOutcome, RunRequest, Sandbox

SandboxName = Literal["auto", "process", "docker", "none"]
NAMES: tuple[str, ...] = ("auto", "process", "docker", "none")

__all__ = ["NAMES", "RunOutcome", "RunRequest", "Sandbox", "SandboxName", "make_sandbox"]


def make_sandbox(
    name: str = "auto",
    *,
    allow_weak: bool = False,
    device: str = "cpu",
    workers: int = 1,
    worker: str | None = None,
) -> Sandbox:
    """The sandbox called `name`, ready to `run` (its warm workers start lazily).

    - "process": bubblewrap + cgroups + rlimits + seccomp around warm forked workers.
    - "docker": warm containers through the Docker engine.
    - "auto": "process" where it gives full isolation, else "docker" where an engine
      runs, else an error (or, with `allow_weak`, the process sandbox with what there is).
    - "none": a plain child process (no isolation; for trusted code only).
    """
    if name not in NAMES:
        raise UsageError(f"unknown sandbox {name!r}; choose one of: {', '.join(NAMES)}")
    from quizzer.judge.sandbox.view import WORKER_SCRIPT

    script = worker or str(WORKER_SCRIPT)
    if name == "none":
        from quizzer.judge.sandbox.none import NoSandbox

        return NoSandbox()
    if name == "docker":
        from quizzer.judge.sandbox.docker import DockerSandbox

        return DockerSandbox(device=device, workers=workers, worker=script)

    from quizzer.judge.sandbox import doctor
    from quizzer.judge.sandbox.process import ProcessSandbox, host_support

    findings = doctor.diagnose(docker=False)
    missing = doctor.missing_for("process", findings)
    bwrap_ok = next(f.ok for f in findings if f.name == "bubblewrap")
    if not missing:
        return ProcessSandbox(support=host_support(), device=device, worker=script)
    if name == "auto":
        try:
            from quizzer.judge.sandbox.docker import DockerSandbox

            return DockerSandbox(device=device, workers=workers, worker=script)
        except SandboxError:
            pass
    if allow_weak and bwrap_ok:
        return ProcessSandbox(support=host_support(), device=device, worker=script)
    what = "; ".join(f"{f.name}: {f.detail}" for f in missing)
    options = "--sandbox docker, " if name == "process" else ""
    raise SandboxError(
        f"this machine cannot give the process sandbox full isolation ({what}). "
        f"See `quizzer sandbox doctor`. To go on anyway use {options}"
        + (
            "--allow-weak-sandbox (runs with the protections that are available), "
            if bwrap_ok
            else ""
        )
        + "or --sandbox none (no isolation, trusted code only).",
        title="sandbox",
    )


def open_sandbox(
    name: str = "none", *, allow_weak: bool = False, device: str = "cpu", workers: int = 1
) -> Sandbox:
    """The sandbox the judge runs workers in: the one place that picks it (the CLI,
    the service and the runner's callers all come here; tests replace it here)."""
    return make_sandbox(name, allow_weak=allow_weak, device=device, workers=workers)

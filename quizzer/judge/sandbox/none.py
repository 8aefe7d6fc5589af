"""`NoSandbox`: the worker in a plain child process, with basic hygiene only.

The judge uses it when asked for `--sandbox none` (and until a stronger backend is
chosen). It gives what a single process can: an environment built from scratch (no CI
secrets), one thread for OpenMP/MKL, rlimits on CPU time, address space, file size and
core dumps, its own process group (killed whole at the end), capped output and reply,
and a scratch folder that is removed afterwards. It does NOT hide the filesystem, the
network or other processes: use the process or Docker sandbox for untrusted code.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from quizzer.judge.sandbox.base import LimitName, RunOutcome, RunRequest

WORKER = Path(__file__).resolve().parents[1] / "worker" / "harness.py"
#: The reply holds gradients and outputs; more than this is refused as too large.
REPLY_LIMIT = 64 << 20
#: What the address-space limit adds to the task's memory limit, on top of what the
#: worker maps once torch is imported (allocator arenas, thread stacks).
ADDRESS_SPACE_SLACK_MB = 256
#: Read by the worker, which sets the address-space limit itself after importing torch.
ADDRESS_SPACE_ENV = "QUIZZER_ADDRESS_SPACE_MB"

PROTECTIONS = (
    "fresh environment",
    "rlimit cpu",
    "rlimit address space (CPU runs)",
    "rlimit file size",
    "process group killed",
    "scratch folder removed",
)


def clean_env(scratch: str, device: str) -> dict[str, str]:
    """The worker's whole environment: nothing is inherited from the judge's."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "TORCH_NUM_THREADS": "1",
    }
    if device != "cuda":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


class _Drain(threading.Thread):
    """Reads a pipe to its end, keeping at most `cap` bytes (the tail for output)."""

    def __init__(self, stream, cap: int, keep_tail: bool, on_over) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap, self.keep_tail, self.on_over = stream, cap, keep_tail, on_over
        self.chunks: list[bytes] = []
        self.size = 0

    def run(self) -> None:
        while chunk := self.stream.read1(1 << 16):
            self.size += len(chunk)
            self.chunks.append(chunk)
            if self.size > self.cap:
                self.on_over()
                if not self.keep_tail:
                    break
                joined = b"".join(self.chunks)[-self.cap :]
                self.chunks = [joined]
        with contextlib.suppress(OSError):
            while self.stream.read1(1 << 16):  # keep draining so the child never blocks
                pass

    def data(self) -> bytes:
        return b"".join(self.chunks)


class NoSandbox:
    name = "none"

    def protections(self) -> tuple[str, ...]:
        return PROTECTIONS

    def close(self) -> None:
        pass

    def run(self, request: RunRequest) -> RunOutcome:
        limits = request.limits
        scratch = tempfile.mkdtemp(prefix="quizzer-judge-")
        hit: list[LimitName] = []

        def limit_rlimits() -> None:
            cpu = max(1, int(limits.cpu_s))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            size = max(1, limits.file_mb) << 20
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        env = clean_env(scratch, request.device)
        if request.device != "cuda":  # CUDA reserves far more address space than it uses
            env[ADDRESS_SPACE_ENV] = str(limits.memory_mb + ADDRESS_SPACE_SLACK_MB)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=scratch,
                env=env,
                start_new_session=True,
                preexec_fn=limit_rlimits,
                close_fds=True,
            )
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        pgid = proc.pid

        def kill(reason: LimitName | None = None) -> None:
            if reason and not hit:
                hit.append(reason)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)

        assert proc.stdin and proc.stdout and proc.stderr
        reply = _Drain(proc.stdout, REPLY_LIMIT, False, lambda: kill("output"))
        output = _Drain(proc.stderr, limits.output_kb << 10, True, lambda: kill("output"))
        reply.start()
        output.start()
        feeder = threading.Thread(target=_feed, args=(proc.stdin, request.payload), daemon=True)
        feeder.start()
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            kill("wall")
            proc.wait()
        wall = time.monotonic() - started
        kill()  # whatever the worker left behind in its group
        for thread in (feeder, reply, output):
            thread.join(timeout=5)
        shutil.rmtree(scratch, ignore_errors=True)
        code = proc.returncode
        sig = -code if code is not None and code < 0 else None
        if not hit and sig == signal.SIGXCPU:  # the soft CPU rlimit
            hit.append("cpu")
        return RunOutcome(
            reply=reply.data()[:REPLY_LIMIT],
            exit_code=code if sig is None else None,
            signal=sig,
            wall_s=wall,
            limit_hit=hit[0] if hit else None,
            output=output.data().decode("utf-8", "replace"),
            protections=PROTECTIONS,
        )


def _feed(stdin, payload: bytes) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        stdin.write(payload)
    with contextlib.suppress(BrokenPipeError, OSError):
        stdin.close()

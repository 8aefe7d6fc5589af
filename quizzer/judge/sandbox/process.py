"""The process sandbox (the default): bubblewrap namespaces, cgroups, rlimits and a
seccomp filter around a child forked from a warm parent that has torch imported.

Called by the judge through `make_sandbox("process")`. For each run it:
1. makes a cgroup with the run's memory, pids and CPU limits (when available);
2. starts a fresh bubblewrap sandbox: new user (non-root) / pid / net / ipc / uts /
   cgroup / mount namespaces, a read-only view of only the interpreter, its stdlib and
   torch, a fresh size-limited tmpfs as the one writable place, no environment;
3. asks the warm parent (`zygote.py`) to fork a keeper that joins that cgroup and those
   namespaces, becomes unprivileged and forks the submission's process inside;
4. feeds the request, reads reply and output with caps enforced while reading, and
   kills the sandbox's pid 1 (taking every process of the run with it) on the wall
   limit, on a cap, or when the run is over; then empties and removes the cgroup.
The scratch tmpfs lives only inside the sandbox, so the judge never walks it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quizzer.errors import SandboxError
from quizzer.judge.sandbox import cgroups, confine
from quizzer.judge.sandbox.base import LimitName, RunOutcome, RunRequest
from quizzer.judge.sandbox.bwrap import SCRATCH, Box, bwrap_argv, hide_options, wait_exec
from quizzer.judge.sandbox.bwrap_source import find_bwrap
from quizzer.judge.sandbox.capture import Capture
from quizzer.judge.sandbox.view import (
    WORKER_SCRIPT,
    ZYGOTE_SCRIPT,
    PythonView,
    python_view,
    sandbox_env,
)

if TYPE_CHECKING:
    from quizzer.bank.models import Limits

#: Unprivileged identity of sandboxed runs when the judge runs as root.
NOBODY = 65534
START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class HostSupport:
    """What this machine gives the process sandbox (see `doctor.py` for the report)."""

    bwrap: str | None
    root: bool
    cgroup: cgroups.CgroupSupport
    seccomp: bool

    @property
    def full(self) -> bool:
        return bool(self.bwrap) and all(self.cgroup.has(c) for c in ("memory", "pids"))


def host_support() -> HostSupport:
    return HostSupport(
        bwrap=find_bwrap().path,
        root=os.geteuid() == 0,
        cgroup=cgroups.detect(),
        seccomp=confine.seccomp_available(),
    )


class _Zygote:
    """The warm parent process and its control socket (thread-safe)."""

    def __init__(self, view: PythonView, worker: str) -> None:
        self.lock = threading.Lock()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = parent
        args = [view.executable, "-I", "-S", str(ZYGOTE_SCRIPT), "process", worker]
        args += [json.dumps(list(view.sys_path)), str(child.fileno())]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(child.fileno(),),
            env=sandbox_env(home="/nonexistent"),
            cwd="/",
            start_new_session=True,
        )
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            msg = self.sock.recv(4096)
        except OSError:
            msg = b""
        finally:
            self.sock.settimeout(None)
        if not msg or not json.loads(msg).get("ready"):
            self.proc.kill()
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            self.proc.wait()
            raise SandboxError(
                f"the warm worker did not start: {err.strip()[-1500:] or 'no message'}",
                title="process sandbox",
            )
        if self.proc.stderr:
            threading.Thread(target=self._drain, daemon=True).start()
        self.ready = True

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        while self.proc.stderr.read(65536):
            pass

    def alive(self) -> bool:
        return self.proc.poll() is None

    def submit(self, job: dict, fds: list[int]) -> int:
        with self.lock:
            socket.send_fds(self.sock, [json.dumps(job).encode()], fds)
            return int(json.loads(self.sock.recv(4096))["keeper"])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def scratch_mb(file_mb: int) -> int:
    """The size of a run's tmpfs for its file-size limit (room for a few such files)."""
    return max(64, 4 * file_mb)


def limits_header(limits: dict, address_space_mb: int) -> bytes:
    """What a run reads first on its stdin, before the request: its limits (read by
    `read_limits` in zygote.py; 0 MB: no address-space limit)."""
    body = json.dumps({"limits": limits, "address_space_mb": address_space_mb}).encode()
    return struct.pack("!I", len(body)) + body


@dataclass
class _Prepared:
    """A run made ready: its sandbox, cgroup, pipes, the warm parent it came from and
    the keeper forked there. `key` is what it was made for: (scratch size in MB,
    device)."""

    box: Box
    cg: cgroups.JobCgroup | None
    capture: Capture
    zygote: _Zygote
    key: tuple[int, str]
    keeper: int

    def close(self) -> None:
        self.box.close()
        if self.cg is not None:
            self.cg.destroy()
        self.capture.close()


class ProcessSandbox:
    """See the module docstring. `run` is thread-safe: the judge's `--workers` threads
    share one warm parent, and every run gets its own bubblewrap sandbox and cgroup."""

    name = "process"

    def __init__(
        self,
        *,
        support: HostSupport | None = None,
        worker: str | os.PathLike[str] = WORKER_SCRIPT,
        device: str = "cpu",
        seccomp: bool = True,
        reply_cap: int = 256 << 20,
    ) -> None:
        self.support = support or host_support()
        if not self.support.bwrap:
            raise SandboxError(
                f"no usable bubblewrap: {find_bwrap().detail}; or use `--sandbox docker`",
                title="process sandbox",
            )
        self.view = python_view()
        self.worker = os.path.abspath(worker)
        self.device = device
        self.seccomp = seccomp and self.support.seccomp
        self.reply_cap = reply_cap
        self._zygote: _Zygote | None = None
        self._zlock = threading.Lock()
        #: Make the next run ready while nothing runs (`_stage_soon`).
        self.stage_runs = True
        self._staged: _Prepared | None = None
        self._stager: threading.Thread | None = None
        self._stage_wanted: queue.SimpleQueue[tuple[int, str, Limits] | None] = queue.SimpleQueue()
        self._stage_lock = threading.Lock()
        self._closed = False

    # -- the warm parent --------------------------------------------------------------

    def start(self) -> None:
        """Start the warm parent now (otherwise the first run starts it), and make a
        first run ready."""
        self._ensure_zygote()
        from quizzer.bank.models import Limits  # after the start: the models take a while

        limits = Limits()
        self._stage_soon(limits.file_mb, "cuda" if self.device == "cuda" else "cpu", limits)

    def _ensure_zygote(self) -> _Zygote:
        with self._zlock:
            if self._closed:
                raise SandboxError("the sandbox was closed", title="process sandbox")
            if self._zygote is None or not self._zygote.alive():
                if self._zygote is not None:
                    self._zygote.close()
                else:  # once per sandbox: what killed judges left in the cgroup trees
                    cgroups.remove_stale(self.support.cgroup)
                self._zygote = _Zygote(self.view, self.worker)
                if self._closed:  # closed while this start was on its way: `close` missed it
                    self._zygote.proc.kill()
                self._zygote.wait_ready(START_TIMEOUT_S)
            return self._zygote

    def close(self) -> None:
        self._closed = True  # first: a start still on its way sees it (`_ensure_zygote`)
        starting = self._zygote
        if starting is not None and not starting.ready:  # still importing: end it now
            with contextlib.suppress(OSError):
                starting.proc.kill()
        with self._stage_lock:
            stager, self._stager = self._stager, None
        if stager is not None:
            self._stage_wanted.put(None)
            stager.join()
        with self._stage_lock:
            staged, self._staged = self._staged, None
        if staged is not None:
            staged.close()
        with self._zlock:
            if self._zygote is not None:
                self._zygote.close()
                self._zygote = None

    # -- reporting ----------------------------------------------------------------------

    def protections(self) -> tuple[str, ...]:
        s = self.support
        out = ["bubblewrap", "namespaces:mount,pid,net,ipc,uts,cgroup"]
        out.append("user:nobody" if s.root else "namespace:user")
        out += ["read-only-view", "scratch:tmpfs", "env:clean", "no-new-privs"]
        out.append(
            "rlimits:cpu,fsize,nproc,core,nofile,sigpending,msgqueue"
            + ("" if s.cgroup.has("memory") else ",as")
        )
        if s.cgroup.bases:
            out.append(f"cgroup-v{s.cgroup.version}:" + ",".join(sorted(s.cgroup.bases)))
        if self.seccomp:
            out.append("seccomp")
        return tuple(out)

    # -- one run --------------------------------------------------------------------------

    def run(self, request: RunRequest) -> RunOutcome:
        limits = request.limits
        run = self._take_staged(limits.file_mb, request.device) or self._prepare(
            self._ensure_zygote(), limits.file_mb, request.device, limits
        )
        started = time.monotonic()  # the wall limit counts from here, not from the warm
        try:  # parent's start
            if run.cg is not None:
                run.cg.limit(limits)
            no_as = (run.cg is not None and "memory" in run.cg.dirs) or request.device == "cuda"
            run_limits = {
                **limits.model_dump(),
                "nproc": None if run.cg is not None and "pids" in run.cg.dirs else limits.processes,
            }
            # Without a memory cgroup, an address-space rlimit is the fallback.
            head = limits_header(run_limits, 0 if no_as else limits.memory_mb + 256)
            run.capture.load(head + request.payload, limits.output_kb << 10)
            run.capture.pump(started + limits.wall_s)
            run.box.kill()  # the run is over: whatever it left running goes now
            if run.cg is not None:
                run.cg.kill()
            run.capture.drain()
            return self._outcome(request, run.capture, run.cg, time.monotonic() - started)
        finally:
            run.close()
            self._stage_soon(limits.file_mb, request.device, limits)

    # -- runs made ready ahead of their request ------------------------------------------

    def idle_pids(self) -> set[int]:
        """The processes of the run made ready and waiting (none while none waits): its
        bubblewrap sandbox and its keeper. They run no submission until a run takes them."""
        with self._stage_lock:
            staged = self._staged
        if staged is None:
            return set()
        return {staged.box.proc.pid, staged.box.ns_pid, staged.keeper}

    def _prepare(self, zygote: _Zygote, file_mb: int, device: str, limits: Limits) -> _Prepared:
        """A run up to the point where it waits for its limits and request: a cgroup,
        a bubblewrap sandbox, and the keeper and the run's process inside it (forked
        from `zygote`, confined, running only the worker's own code)."""
        cg = cgroups.JobCgroup(self.support.cgroup, limits) if self.support.cgroup.bases else None
        box: Box | None = None
        capture = Capture(b"", limits.output_kb << 10, self.reply_cap)
        try:
            box = self._start_box(file_mb, device)
            job = {
                "ns_pid": box.ns_pid,
                "namespaces": ([] if self.support.root else ["user"])
                + ["mnt", "pid", "net", "ipc", "uts", "cgroup"],
                "uid": NOBODY if self.support.root else None,
                "gid": NOBODY if self.support.root else None,
                "cgroup_procs": cg.procs_files if cg else [],
                "scratch": SCRATCH,
                "env": sandbox_env(),
                "seccomp": self.seccomp,
            }
            ends = capture.make_pipes()
            try:
                keeper = zygote.submit(job, ends)
            finally:
                for fd in ends:
                    os.close(fd)
        except BaseException:
            if box is not None:
                box.close()
            if cg is not None:
                cg.destroy()
            capture.close()
            raise
        return _Prepared(box, cg, capture, zygote, (scratch_mb(file_mb), device), keeper)

    def _take_staged(self, file_mb: int, device: str) -> _Prepared | None:
        """The run staged for these settings, if one is ready and its warm parent is
        still the live one; a stale one is closed."""
        with self._stage_lock:
            staged, self._staged = self._staged, None
        if staged is None:
            return None
        zygote = self._zygote
        fits = staged.key == (scratch_mb(file_mb), device)
        if fits and staged.zygote is zygote and zygote.alive():
            return staged
        staged.close()
        return None

    def _stage_soon(self, file_mb: int, device: str, limits: Limits) -> None:
        """Make the next run ready in the background (a run of the same settings then
        skips the sandbox's start-up: tens of milliseconds). One long-lived thread does
        it: bubblewrap dies with the thread that started it (--die-with-parent)."""
        with self._stage_lock:
            if self._closed or not self.stage_runs:
                return
            if self._stager is None:
                self._stager = threading.Thread(target=self._stage_loop, name="stage-runs")
                self._stager.daemon = True
                self._stager.start()
        self._stage_wanted.put((file_mb, device, limits))

    def _stage_loop(self) -> None:
        while (wanted := self._stage_wanted.get()) is not None:
            file_mb, device, limits = wanted
            zygote = self._zygote  # never start a warm parent from here
            with self._stage_lock:
                busy = self._closed or self._staged is not None
            if busy or zygote is None or not zygote.ready or not zygote.alive():
                continue
            try:
                run = self._prepare(zygote, file_mb, device, limits)
            except (OSError, SandboxError):
                continue  # the next run starts its own, and reports what fails
            with self._stage_lock:
                keep = not self._closed and self._staged is None
                if keep:
                    self._staged = run
            if not keep:
                run.close()

    def _start_box(self, file_mb: int, device: str) -> Box:
        info_r, info_w = os.pipe()
        argv = bwrap_argv(
            self.support.bwrap or "bwrap",
            self.view,
            root=self.support.root,
            info_fd=info_w,
            scratch_mb=scratch_mb(file_mb),
            device=device,
        )
        short, args_fd = hide_options(argv)
        try:
            proc = subprocess.Popen(
                short,
                executable=argv[0],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(info_w, args_fd),
                env={"PATH": "/usr/bin:/bin"},
                cwd="/",
                umask=0o022,
            )
        finally:
            os.close(info_w)
            os.close(args_fd)
        with os.fdopen(info_r, "rb") as fh:
            info = _read_json(fh)
        box = Box(proc, int(info.get("child-pid", 0)))
        if not box.ns_pid:
            box.close()
            raise SandboxError(f"bubblewrap failed: {box.error()}", title="process sandbox")
        try:
            wait_exec(box)
        except BaseException:
            box.close()
            raise
        return box

    def _outcome(
        self, request: RunRequest, cap: Capture, cg: cgroups.JobCgroup | None, wall: float
    ) -> RunOutcome:
        report = cap.report()
        sig = report.get("signal")
        cpu_s = float(report.get("cpu_s") or 0.0)
        # The most specific cause first: a fork bomb also runs out of wall time.
        limit: LimitName | None = None
        if cap.overflow:
            limit = "output"
        elif cg is not None and cg.oom_killed():
            limit = "memory"
        elif cg is not None and cg.pids_exhausted():
            limit = "processes"
        elif sig == signal.SIGXCPU or (
            sig == signal.SIGKILL and cpu_s >= request.limits.cpu_s - 0.05
        ):
            limit = "cpu"
        elif sig == signal.SIGXFSZ or report.get("scratch_full"):
            limit = "file_size"
        elif cap.timed_out:
            limit = "wall"
        output = cap.output_text()
        if report.get("error"):
            output = (output + f"\n[sandbox] {report['error']}").strip()
        return RunOutcome(
            reply=bytes(cap.reply),
            exit_code=report.get("exit_code"),
            signal=sig if sig is not None else (None if report else signal.SIGKILL),
            wall_s=wall,
            limit_hit=limit,
            output=output,
            protections=self.protections(),
        )


def _read_json(fh) -> dict:
    """bubblewrap's --info-fd document (it writes it in one go, then closes)."""
    data = b""
    while True:
        chunk = fh.read1(4096)
        if not chunk:
            break
        data += chunk
        with contextlib.suppress(ValueError):
            return json.loads(data)
    return {}

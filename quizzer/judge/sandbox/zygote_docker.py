"""The warm parent's loop inside a Docker sandbox container (`zygote.py docker`).

Standalone (standard library only; `zygote.py` loads it by path). It runs as pid 1 of
the container, as the same unprivileged uid as the runs, and takes one run at a time:

  judge -> here  frames "J" (job JSON) then "P" (request bytes, in chunks)
  here -> judge  frame "H" once when warm; per run "R" (reply bytes), "O" (output
                 bytes), and finally "S" (status JSON)

Frames are a kind byte, a big-endian u32 length, and the data. pid 1 reads only the
"J" frame (the judge's limits). Every run is forked from pid 1, so pid 1 must never
hold a submission's data: it forks a relay per run, and the relay reads the request,
forks the run, relays reply and output, and cleans up; only the status comes back to
pid 1. Cleaning up: `kill(-1, SIGKILL)` ends every process but pid 1 (the kernel never
lets a pid namespace's init be signalled from inside unless it asks for it, and it is
not dumpable, so runs can neither kill nor trace it); /tmp, /dev/shm, System V IPC
and POSIX message queues are emptied; a run that leaves anything behind is reported
so that the judge retires the container. While a run goes, pid 1 watches stdin: the
judge sends nothing then, so input there is its attach closing (the judge died), and
pid 1 exits, which ends the run at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import selectors
import shutil
import signal
import struct
import time

HEAD = struct.Struct(">cI")
CHUNK = 1 << 16
SCRATCH_DIRS = ("/tmp", "/dev/shm")
#: How long pid 1 waits for a run's relay past the wall limit before it ends the
#: container (the judge waits as long; see docker.GRACE_S).
RELAY_GRACE_S = 5.0
#: Most bytes of status a relay may hand pid 1.
STATUS_CAP = 1 << 16
PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)


def _send(kind: bytes, data: bytes) -> None:
    view = memoryview(HEAD.pack(kind, len(data)) + data)
    while view:
        view = view[os.write(1, view) :]


def _read_exact(n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        chunk = os.read(0, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _read_frame() -> tuple[bytes, bytes]:
    kind, size = HEAD.unpack(_read_exact(HEAD.size))
    return kind, _read_exact(size)


def _counter(paths: tuple[str, ...], key: str) -> int:
    """A counter from the container's own cgroup files (v2 or v1 layout)."""
    for path in paths:
        with contextlib.suppress(OSError, ValueError), open(path) as fh:
            for line in fh:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    return 0


def _memory_used() -> int | None:
    """The container's memory use in bytes (cgroup v2, then v1), or None if unknown."""
    for path in ("/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory/memory.usage_in_bytes"):
        with contextlib.suppress(OSError, ValueError), open(path) as fh:
            return int(fh.read())
    return None


def _oom_kills() -> int:
    return _counter(
        ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"), "oom_kill"
    )


def _pids_refused() -> int:
    return _counter(("/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events"), "max")


def _scratch_full() -> bool:
    with contextlib.suppress(OSError):
        vfs = os.statvfs("/tmp")
        return vfs.f_bavail * 50 < vfs.f_blocks
    return False


def _others() -> list[int]:
    """Every process but pid 1 and the caller."""
    me = {1, os.getpid()}
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in me]


def _kill_all() -> list[str]:
    """Kill and reap every other process (never pid 1: the kernel spares it). Reaps
    what this process may reap: pid 1 reaps everything, a relay its own subtree."""
    for _ in range(100):
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not _others():
            return []
        time.sleep(0.002)
    return [f"processes left: {_others()[:5]}"]


def _reset() -> list[str]:
    """Kill every other process, reap them, and empty every writable place. Returns
    what could not be cleaned (the judge then retires the container). After a run it
    runs in the run's relay, never in pid 1: the names it reads are the run's data
    (pid 1 calls it once, before any run)."""
    problems = _kill_all()
    keep = _mount_points()
    for top in SCRATCH_DIRS:
        _empty(top, keep, problems)
    _remove_ipc()
    return problems


@functools.lru_cache(maxsize=1)
def _mount_points() -> frozenset[str]:
    """Every mount point of this container and the folders above them: a Python
    environment that lives under /tmp on the host is bind-mounted at the same path,
    inside the scratch tmpfs, and must survive the reset. Read once: runs cannot mount
    (no capabilities, seccomp)."""
    keep: set[str] = set()
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as fh:
        for line in fh:
            path = line.split()[4].replace("\\040", " ")
            while path not in keep and path != "/":
                keep.add(path)
                path = os.path.dirname(path)
    return frozenset(keep)


def _empty(folder: str, keep: frozenset[str], problems: list[str]) -> None:
    """Remove everything in `folder` (never following links) except the mount points
    in `keep`; folders above a mount point are emptied of everything else."""
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            try:
                if entry.path in keep:
                    if not os.path.ismount(entry.path):
                        _empty(entry.path, keep, problems)
                elif entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)  # never follows symlinks
                else:
                    os.unlink(entry.path)
            except OSError as exc:
                problems.append(f"cannot remove {entry.path}: {exc.strerror}")


def _remove_ipc() -> None:
    for kind, call in (("shm", "shmctl"), ("msg", "msgctl"), ("sem", "semctl")):
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{kind}") as fh:
            next(fh)
            for line in fh:
                # shmctl/msgctl(id, IPC_RMID, NULL) and semctl(id, 0, IPC_RMID)
                getattr(_libc, call)(int(line.split()[1]), 0, None)
    with contextlib.suppress(OSError):
        for name in os.listdir("/dev/mqueue"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join("/dev/mqueue", name))


def _run(worker, child, job: dict, payload: bytes) -> dict:
    limits = job["limits"]
    in_r, in_w = os.pipe()
    rep_r, rep_w = os.pipe()
    out_r, out_w = os.pipe()
    oom_before, pids_before = _oom_kills(), _pids_refused()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        for fd in (in_w, rep_r, out_r):
            os.close(fd)
        for target, fd in enumerate((in_r, rep_w, out_w)):
            os.dup2(fd, target, inheritable=True)
        os.closerange(3, max(os.sysconf("SC_OPEN_MAX"), 1024))
        os.environ.clear()
        os.environ.update(job["env"])
        os.chdir("/tmp")
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        child(worker, limits, job["seccomp"], None)
    for fd in (in_r, rep_w, out_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    sel = selectors.DefaultSelector()
    for fd in (in_w, rep_r, out_r):
        os.set_blocking(fd, False)
    sel.register(in_w, selectors.EVENT_WRITE, "stdin") if payload else os.close(in_w)
    sel.register(rep_r, selectors.EVENT_READ, "R")
    sel.register(out_r, selectors.EVENT_READ, "O")
    sel.register(pidfd, selectors.EVENT_READ, "exit")
    sent = {"R": 0, "O": 0}
    caps = {"R": job["reply_cap"], "O": limits["output_kb"] << 10}
    limit, exited, view = None, False, memoryview(payload)
    deadline = started + limits["wall_s"]
    while not exited and limit is None:
        left = deadline - time.monotonic()
        if left <= 0:
            limit = "wall"
            break
        for key, _ in sel.select(left):
            fd, name = key.fd, key.data
            if name == "exit":
                exited = True
            elif name == "stdin":
                try:
                    n = os.write(fd, view[:CHUNK])
                    view = view[n:]
                except BrokenPipeError:
                    view = view[:0]
                except BlockingIOError:
                    continue
                if not view:
                    sel.unregister(fd)
                    os.close(fd)
            else:
                data = _read(fd)
                if data is None:
                    continue
                if not data:
                    sel.unregister(fd)
                    continue
                room = caps[name] - sent[name]
                if room > 0:
                    _send(name.encode(), data[:room])
                sent[name] += len(data)
                if sent[name] > caps[name]:
                    limit = "output"
    if not exited:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    full = _scratch_full()
    problems = _reset()
    for fd, name in ((rep_r, "R"), (out_r, "O")):  # every writer is dead: drain the rest
        while sent[name] <= caps[name] and (data := _read(fd)):
            _send(name.encode(), data[: max(0, caps[name] - sent[name])])
            sent[name] += len(data)
        if sent[name] > caps[name] and limit is None:
            limit = "output"
    sel.close()
    for fd in (rep_r, out_r, pidfd):
        with contextlib.suppress(OSError):
            os.close(fd)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    cause = None  # the most specific cause first: a fork bomb also runs out of time
    if _oom_kills() > oom_before:
        cause = "memory"
    elif _pids_refused() > pids_before:
        cause = "processes"
    elif sig == signal.SIGXCPU:
        cause = "cpu"
    elif full or sig == signal.SIGXFSZ:
        cause = "file_size"
    if cause and limit != "output":
        limit = cause
    return {
        "exit_code": os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "limit": limit,
        "wall_s": time.monotonic() - started,
        "problems": problems,
    }


def _read(fd: int) -> bytes | None:
    try:
        return os.read(fd, CHUNK)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _relay(worker, child, job: dict, status_w: int) -> None:
    """One run, in a process that pid 1 forks before it reads anything of the run:
    read the request, fork the run, relay its reply and output, clean up after it,
    and hand pid 1 only the status. The request, reply, output and the names of the
    run's files live and die here, so a later run (forked from pid 1) never holds them.
    Writes "+" on `status_w` once the request is in, then the status JSON."""
    code = 1
    try:
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # the run's orphans come here
        parts, got = [], 0
        while got < job["payload_len"]:
            kind, chunk = _read_frame()
            if kind != b"P":
                raise ValueError(f"unexpected frame {kind!r}")
            parts.append(chunk)
            got += len(chunk)
        _write_all(status_w, b"+")
        status = _run(worker, child, job, b"".join(parts))
        status["problems"] = status["problems"][:5]
        _write_all(status_w, json.dumps(status).encode())
        code = 0
    except BaseException:  # pid 1 sees the exit status and gives the container up
        pass
    os._exit(code)


def _await_relay(pid: int, status_r: int, deadline: float) -> dict | None:
    """The relay's status, or None when it failed, overran the deadline (a run can
    stop its relay: same uid), or stdin became readable during the run: the judge
    sends nothing then, so that is its attach closing (the judge died)."""
    sel = selectors.DefaultSelector()
    sel.register(status_r, selectors.EVENT_READ, "status")
    data, done = b"", False
    try:
        while not done and len(data) <= STATUS_CAP:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            for key, _ in sel.select(left):
                if key.data == "judge":
                    return None
                chunk = os.read(status_r, STATUS_CAP)
                done = not chunk
                if not data and chunk.startswith(b"+"):
                    sel.register(0, selectors.EVENT_READ, "judge")  # the request is in
                data += chunk
    finally:
        sel.close()
    _, wait_status = os.waitpid(pid, 0)
    if not done or wait_status != 0 or not data.startswith(b"+"):
        return None
    try:
        status = json.loads(data[1:])
    except ValueError:
        return None
    return status if isinstance(status, dict) else None


def serve(worker, child) -> None:
    """pid 1: wait for a job, fork its relay, wait for the relay, make sure nothing of
    the run is left, report. It never reads a request, a reply or an output; any
    doubt ends the container (the kernel then kills every process in it)."""
    _libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: runs cannot trace or read pid 1
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _reset()  # before any run: also reads the mount points once, for every relay
    # The judge lowers the container's memory limit to this plus the run's limit, so
    # that a run gets what its limit says, like a run in its own cgroup.
    ready = {"ready": True, "uid": os.getuid(), "memory_used": _memory_used()}
    _send(b"H", json.dumps(ready).encode())
    while True:
        try:
            kind, data = _read_frame()
        except EOFError:
            return
        if kind != b"J":
            os._exit(1)
        job = json.loads(data)
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(status_r)
            _relay(worker, child, job, status_w)
        os.close(status_w)
        deadline = time.monotonic() + job["limits"]["wall_s"] + RELAY_GRACE_S
        status = _await_relay(pid, status_r, deadline)
        os.close(status_r)
        if status is None:
            os._exit(1)
        status["problems"] = list(status.get("problems") or []) + _kill_all()
        _send(b"S", json.dumps(status).encode())
        if status["problems"]:
            os._exit(1)  # the judge retires this container; be sure of it

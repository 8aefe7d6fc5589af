"""The warm parent of sandboxed runs: imports the worker (and so torch) once, then
forks a fresh child for every submission. It never runs untrusted code itself and
never initialises CUDA (importing the worker does not; only a child may).

Standalone (standard library + torch, never quizzer), loaded by the sandboxes as
`python -I -S zygote.py MODE WORKER SYS_PATH_JSON [CONTROL_FD]`:

- `process` mode (`process.py`): runs on the host with a clean environment and a
  SOCK_SEQPACKET control socket (CONTROL_FD). Each job message carries four fds (stdin,
  reply, output, status) and names a freshly started bubblewrap sandbox. The zygote
  forks a keeper, which joins the run's cgroup and the sandbox's namespaces, drops
  privileges, and forks the submission's process inside (pid namespace of its own, so
  it cannot see the zygote, the keeper or other runs). That process reads the run's
  limits from stdin (`limits_header`), sets them, loads the seccomp filter and serves
  the request that follows, so the judge can make a run ready before it knows which
  request, and which limits, it will carry. The keeper reports the exit status on the
  status fd. The judge kills the sandbox's pid 1 to end everything.
- `docker` mode (`docker.py`): runs as pid 1 of a container, talking length-prefixed
  frames on stdin/stdout (`docker attach`). One run at a time, through a relay forked
  per run so that pid 1 never holds a submission's data (`zygote_docker.py`): the
  relay forks the run, relays its output, then `kill(-1, SIGKILL)` (which spares only
  pid 1), wipes scratch and IPC; pid 1 checks that nothing is left.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import importlib.util
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


confine = _load("quizzer_confine", os.path.join(HERE, "confine.py"))


def retitle(*args: str) -> None:
    """Overwrite this process's command line with `args`. Every run is forked from
    here, and /proc/<run>/cmdline would show it the host paths of this file, the worker
    and the view. The kernel reads the command line from the argument strings in the
    process's own memory, which /proc/self/stat locates (arg_start, arg_end)."""
    with open("/proc/self/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    start, end = int(fields[45]), int(fields[46])  # stat fields 48 and 49
    title = b"\0".join(a.encode() for a in args)[: max(0, end - start - 1)]
    if start and end > start:
        ctypes.memset(start, 0, end - start)
        ctypes.memmove(start, title, len(title))
    sys.argv[:] = list(args)
    sys.orig_argv[:] = list(args)


def warm_up(worker) -> None:
    """Pay torch's first-call costs once, here, instead of in every child (the
    worker's `warm_up` knows what a run will call, and what must wait for the child)."""
    hook = getattr(worker, "warm_up", None)
    if callable(hook):
        hook()
    import torch

    torch.set_num_threads(1)


def _move_fds(fds: list[int]) -> None:
    """Put `fds` at 0, 1, 2, ... and close every other descriptor."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 256) for fd in fds]
    for target, fd in enumerate(high):
        os.dup2(fd, target, inheritable=True)
    os.closerange(len(fds), max(os.sysconf("SC_OPEN_MAX"), 1024))


def _child(worker, limits: dict | None, want_seccomp: bool, address_space: int | None) -> None:
    """In the forked child: last confinement steps, then the worker. Never returns.
    With `limits` None (process mode) the run's limits are the first thing on stdin
    (`read_limits`): a run can be made ready before its limits are known."""
    code = 70
    try:
        os.setsid()
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("1000")  # the run, never the warm parent, is what the OOM killer takes
        except OSError:
            pass
        confine.prctl(confine.PR_SET_NO_NEW_PRIVS, 1)
        if limits is None:
            limits, extra_mb = read_limits(0)
            address_space = (address_space or 0) + (extra_mb << 20) if extra_mb else None
        confine.set_rlimits(limits, address_space)
        if want_seccomp:
            confine.load_seccomp()
        code = worker.serve(0, 1)
    except BaseException:
        with contextlib.suppress(BaseException):
            os.write(2, traceback.format_exc().encode(errors="replace")[-4000:])
    os._exit(code if isinstance(code, int) else 70)


#: The limits header in front of a process-mode run's request: u32 length + JSON
#: {"limits": {...}, "address_space_mb": N} (0: no address-space limit).
LIMITS_HEAD = struct.Struct("!I")
LIMITS_MAX = 1 << 16


def read_limits(fd: int) -> tuple[dict, int]:
    """The limits header from `fd`, written by the judge before the request
    (`limits_header` in process.py)."""

    def exact(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = os.read(fd, n - len(data))
            if not chunk:
                raise EOFError("the run ended before its limits arrived")
            data += chunk
        return data

    (size,) = LIMITS_HEAD.unpack(exact(LIMITS_HEAD.size))
    if size > LIMITS_MAX:
        raise ValueError(f"a limits header of {size} bytes")
    head = json.loads(exact(size))
    return head["limits"], int(head["address_space_mb"])


# --- process mode ------------------------------------------------------------------


def _keeper(worker, job: dict, fds: list[int]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _move_fds(fds)  # 0 stdin, 1 reply, 2 output, 3 status

    def report(obj: dict) -> None:
        os.write(3, json.dumps(obj).encode())

    try:
        confine.die_with_parent()
        vm = confine.vm_size()  # /proc/self means nothing once in the run's pid namespace
        for procs in job["cgroup_procs"]:
            with open(procs, "w") as fh:
                fh.write(str(os.getpid()))
        confine.join_namespaces(job["ns_pid"], job["namespaces"])
        if job["uid"] is not None:
            confine.become(job["uid"], job["gid"])
        else:
            confine.drop_capabilities()
        os.chdir(job["scratch"])
        os.environ.clear()
        os.environ.update(job["env"])
        pid = os.fork()
        if pid == 0:
            os.close(3)
            _child(worker, None, job["seccomp"], vm)
        os.close(0)
        os.close(1)
        os.close(2)
        _, status, usage = os.wait4(pid, 0)
        vfs = os.statvfs(job["scratch"])
        report({
            "exit_code": os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss,
            "scratch_full": vfs.f_bavail * 50 < vfs.f_blocks,
        })  # fmt: skip
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            report({"error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    os._exit(0)


def _remove_groups(groups: set[str], wait_s: float = 5.0) -> None:
    """The judge removes each run's cgroups after the run; when the judge is gone (its
    end of the control socket closed), nobody would. Kill what is left in them, then
    remove them (rmdir works once the last task in a group has exited)."""
    deadline = time.monotonic() + wait_s
    left = set(groups)
    while left and time.monotonic() < deadline:
        for group in sorted(left):
            with contextlib.suppress(OSError), open(os.path.join(group, "cgroup.procs")) as fh:
                for pid in fh.read().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)
            try:
                os.rmdir(group)
            except FileNotFoundError:
                pass
            except OSError:
                continue
            left.discard(group)
        time.sleep(0.01)


def serve_process(worker, ctl: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    ctl.send(json.dumps({"ready": True, "pid": os.getpid()}).encode())
    groups: set[str] = set()  # the cgroups of runs that may still be going
    try:
        while True:
            try:
                msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 16, 8)
            except (ConnectionError, OSError):
                return
            if not msg:
                return
            job = json.loads(msg)
            groups = {g for g in groups if os.path.isdir(g)}
            groups.update(os.path.dirname(p) for p in job["cgroup_procs"])
            pid = os.fork()
            if pid == 0:
                ctl.close()
                _keeper(worker, job, fds)
            for fd in fds:
                os.close(fd)
            ctl.send(json.dumps({"keeper": pid}).encode())
    finally:
        _remove_groups(groups)


@contextlib.contextmanager
def _ending_with_the_judge(ctl: socket.socket | None):
    """While the worker imports (seconds), a thread watches the control socket: the
    judge going away (closed, killed, cancelled) ends this process at once instead
    of after its start-up. The thread is gone before any fork."""
    if ctl is None:
        yield
        return
    import select
    import threading

    done = threading.Event()

    def watch() -> None:
        poller = select.poll()
        poller.register(ctl.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
        while not done.is_set():
            if poller.poll(50):  # the judge sends nothing before "ready": a hang-up
                os._exit(0)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def main(argv: list[str]) -> None:
    mode, worker_path, sys_path = argv[0], argv[1], json.loads(argv[2])
    retitle("zygote.py", mode)  # "zygote.py": how the tests recognise runs' processes
    if sys_path:
        sys.path[:] = sys_path
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    confine.seccomp_available()  # load libseccomp here: a child cannot look it up
    ctl = socket.socket(fileno=int(argv[3])) if mode == "process" else None
    with _ending_with_the_judge(ctl):
        worker = _load("quizzer_worker", worker_path)
        warm_up(worker)
    if ctl is not None:
        serve_process(worker, ctl)
    else:
        _load("quizzer_zygote_docker", os.path.join(HERE, "zygote_docker.py")).serve(worker, _child)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])

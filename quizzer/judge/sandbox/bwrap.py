"""Starting one bubblewrap sandbox for one run of the process sandbox.

`bwrap_argv` builds the command line (namespaces, the read-only view from `view.py`,
the run's tmpfs, a placeholder command that keeps the sandbox alive); `Box` holds the
running sandbox and kills its pid 1, which takes the whole pid namespace with it.
Used by `process.py` and, for a test run, by `doctor.py`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time

from quizzer.errors import SandboxError
from quizzer.judge.sandbox.view import PythonView, cuda_driver_dirs

#: The run's only writable folder (a tmpfs inside the sandbox).
SCRATCH = "/tmp"


def bwrap_argv(
    bwrap: str, view: PythonView, *, root: bool, info_fd: int, scratch_mb: int, device: str
) -> list[str]:
    argv = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--hostname", "sandbox"]
    argv += ["--cap-drop", "ALL"] if root else ["--unshare-user"]
    argv += ["--die-with-parent", "--new-session", "--clearenv", "--info-fd", str(info_fd)]
    # The scratch tmpfs first: a Python environment under /tmp on the host is then
    # mounted inside it rather than hidden by it.
    size = str(scratch_mb << 20)
    argv += ["--perms", "1777", "--size", size, "--tmpfs", SCRATCH]
    # bubblewrap makes missing parent folders with its umask (0700 under a strict one),
    # which would lock uid 65534 out of /root/.pyenv/...: make them 0755 explicitly.
    binds = list(view.ro_binds)
    if device == "cuda":
        binds += cuda_driver_dirs(view)
    parents: set[str] = set()
    for path in binds:
        parent = os.path.dirname(path)
        while parent not in ("/", SCRATCH) and not any(
            parent == b or parent.startswith(b + "/") for b in binds
        ):
            parents.add(parent)
            parent = os.path.dirname(parent)
    for parent in sorted(parents, key=lambda p: (p.count("/"), p)):
        argv += ["--perms", "0755", "--dir", parent]
    for path in binds:
        argv += ["--ro-bind", path, path]
    for link, target in view.symlinks:
        argv += ["--symlink", target, link]
    for mask in view.masks:
        argv += ["--perms", "0555", "--size", "4096", "--tmpfs", mask, "--remount-ro", mask]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--perms", "1777", "--size", size, "--tmpfs", "/dev/shm"]
    if device == "cuda":
        for dev in sorted(os.listdir("/dev")):
            if dev.startswith("nvidia"):
                argv += ["--dev-bind", f"/dev/{dev}", f"/dev/{dev}"]
        argv += ["--ro-bind-try", "/sys", "/sys"]
    # The placeholder is named without a path (bubblewrap finds it in /usr/bin, where
    # it is mounted): the sandbox's pid 1 shows its command line to the run.
    sleep = os.path.realpath(shutil.which("sleep") or "/bin/sleep")
    placeholder = ["sleep", "infinity"]
    if os.path.exists(sleep):
        argv += ["--ro-bind", sleep, "/usr/bin/sleep"]
    else:
        placeholder = [view.executable, "-I", "-S", "-c", "import time; time.sleep(1e9)"]
    return [*argv, "--chdir", SCRATCH, "--", *placeholder]


def hide_options(argv: list[str]) -> tuple[list[str], int]:
    """`argv` with bubblewrap's options moved into an `--args` file, and argv[0] just
    "bwrap": the sandbox's pid 1 is a copy of bubblewrap, and /proc/1/cmdline would
    otherwise show the run every host path bound in and where bubblewrap lives.
    Returns the short argv (run it with `executable=argv[0]`) and the file's fd, which
    the caller passes to bubblewrap and then closes."""
    split = argv.index("--")
    fd = os.memfd_create("bwrap-args", os.MFD_CLOEXEC)
    data = memoryview(b"".join(a.encode() + b"\0" for a in argv[1:split]))
    while data:
        data = data[os.write(fd, data) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return ["bwrap", "--args", str(fd), *argv[split:]], fd


class Box:
    """One running bubblewrap sandbox: its process and its pid 1 (held by a pidfd, so
    that killing it can never hit a recycled pid)."""

    def __init__(self, proc: subprocess.Popen[bytes], ns_pid: int) -> None:
        self.proc = proc
        self.ns_pid = ns_pid
        self.pidfd: int | None = None
        if ns_pid:
            with contextlib.suppress(OSError):
                self.pidfd = os.pidfd_open(ns_pid)

    def kill(self) -> None:
        """SIGKILL the sandbox's pid 1: the kernel then kills its whole pid namespace."""
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)

    def error(self) -> str:
        self.kill()
        self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        return err.strip()[-800:] or f"exit status {self.proc.returncode}"

    def close(self) -> None:
        self.kill()
        self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def _children(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return fh.read().split()
    except FileNotFoundError:  # kernels without CONFIG_PROC_CHILDREN: scan the ppids
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        if fh.read().rsplit(")", 1)[1].split()[1] == str(pid):
                            found.append(entry)
                except (OSError, IndexError):
                    pass
        return found


def wait_exec(box: Box, timeout: float = 10.0) -> None:
    """Wait until the sandbox's pid 1 has started the placeholder command: bubblewrap
    forks it only after every mount is in place, so joining earlier would see a
    half-built view (the namespaces exist as soon as --info-fd is written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and box.proc.poll() is None:
        try:
            for child in _children(box.ns_pid):
                with open(f"/proc/{child}/comm") as fh:
                    if fh.read().strip() != "bwrap":
                        return
        except OSError:
            pass
        time.sleep(0.0005)
    raise SandboxError(f"the sandbox did not start: {box.error()}", title="process sandbox")

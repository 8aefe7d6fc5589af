"""What a run can reach of the judge, and what outlives it, under the process sandbox
and the Docker sandbox. The judge here is a separate process (the script below), so
that the test can kill it outright (SIGKILL: nothing of it runs afterwards) or give it
a terminal of its own.

- When the judge dies, its runs die at once, not at their wall limit, and it leaves
  no run cgroup and no container behind.
- A run has no controlling terminal and no descriptor of the judge's, so it cannot
  push input into the judge's terminal (TIOCSTI, CVE-2017-5226).
- bubblewrap is always given `--new-session` and `--die-with-parent`.
"""

from __future__ import annotations

import json
import os
import pty
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from quizzer.judge.sandbox import cgroups
from quizzer.judge.sandbox.bwrap import bwrap_argv
from quizzer.judge.sandbox.view import python_view
from tests.sandbox_support import STUB_WORKER, docker_or_skip

pytestmark = pytest.mark.slow  # kills judges and waits for their runs to end

REPO = Path(__file__).resolve().parents[1]
BACKENDS = ["process", pytest.param("docker", marks=pytest.mark.docker)]

#: A judge: builds the sandbox named by argv[1], runs the source in argv[2] under a
#: wall limit of argv[3] seconds, and prints the reply as the last line.
JUDGE = r"""
import json, sys
sys.path.insert(0, {repo!r})
from quizzer.bank.models import Limits
from quizzer.judge.sandbox.base import RunRequest
backend, source, wall = sys.argv[1], sys.argv[2], float(sys.argv[3])
if backend == "process":
    from quizzer.judge.sandbox.process import ProcessSandbox
    box = ProcessSandbox(worker={worker!r})
else:
    from quizzer.judge.sandbox.docker import DockerSandbox
    box = DockerSandbox(worker={worker!r})
limits = Limits(wall_s=wall, cpu_s=wall, memory_mb=512, processes=16)
out = box.run(RunRequest(json.dumps({{"source": source}}).encode(), limits))
print("\nREPLY " + json.dumps(out.reply.decode(errors="replace")), flush=True)
box.close()
""".format(repo=str(REPO), worker=str(STUB_WORKER))


def _judge_command(backend: str, source: str, wall: float) -> list[str]:
    return [sys.executable, "-c", JUDGE, backend, source, str(wall)]


def _pids_with(token: bytes) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if token in fh.read():
                        found.append(int(pid))
            except OSError:
                pass
    return found


def _until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


def _groups_of(pid: int) -> list[Path]:
    support = cgroups.detect()
    return [
        group for base in set(support.bases.values()) for group in base.glob(f"quizzer-{pid}-*")
    ]


def _containers_of(pid: int) -> list:
    from quizzer.judge.sandbox.docker import LABEL

    client = docker_or_skip()
    mine = {"label": [LABEL, f"{LABEL}.judge-pid={pid}"]}
    return client.containers.list(all=True, filters=mine, ignore_removed=True)  # may go meanwhile


@pytest.mark.parametrize("backend", BACKENDS)
def test_killing_the_judge_ends_its_runs_at_once(backend):
    if backend == "docker":
        docker_or_skip()
    half = secrets.token_hex(6)
    token = "quizzer-hostile-orphan-" + half  # never whole on the judge's command line
    source = (
        "import subprocess, sys, time\n"
        f"mark = 'quizzer-hostile-orphan-' + {half!r}\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', mark])\n"
        "time.sleep(600)\n"
    )
    judge = subprocess.Popen(
        _judge_command(backend, source, wall=120),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _until(lambda: _pids_with(token.encode()), 150), "the run never started"
        groups = _groups_of(judge.pid) if backend == "process" else []
        judge.send_signal(signal.SIGKILL)
        judge.wait()
        assert _until(lambda: not _pids_with(token.encode()), 10), "the run outlived its judge"
        if backend == "process":
            assert groups, "the run had cgroups of its own"
            assert _until(lambda: not any(g.exists() for g in groups), 10), groups
        else:
            assert _until(lambda: not _containers_of(judge.pid), 20), "its container stayed"
    finally:
        judge.kill()
        judge.wait()
        for pid in _pids_with(token.encode()):  # on failure: the 120 s run, ended here
            os.kill(pid, signal.SIGKILL)
        if backend == "docker":
            for container in _containers_of(judge.pid):
                container.remove(force=True)


def test_groups_left_by_a_dead_judge_are_removed_when_a_sandbox_starts():
    support = cgroups.detect()
    if not support.bases:
        pytest.skip("no writable cgroup hierarchy here")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(dead.stdout)
    stale = [base / f"quizzer-{pid}-1" for base in set(support.bases.values())]
    for group in stale:
        group.mkdir()
    live = [base / f"quizzer-{os.getpid()}-999999" for base in set(support.bases.values())]
    for group in live:
        group.mkdir()
    try:
        assert not os.path.exists(f"/proc/{pid}")
        removed = cgroups.remove_stale(support)
        assert set(stale) <= set(removed)
        assert not any(g.exists() for g in stale)
        assert all(g.exists() for g in live), "a live judge's groups stay"
    finally:
        for group in stale + live:
            if group.exists():
                group.rmdir()


def test_a_runs_cgroups_are_removed_when_the_run_fails(monkeypatch):
    from quizzer.errors import SandboxError
    from quizzer.judge.sandbox.base import RunRequest
    from quizzer.judge.sandbox.process import ProcessSandbox
    from tests.sandbox_support import LIMITS

    box = ProcessSandbox(worker=STUB_WORKER)
    if not box.support.cgroup.bases:
        pytest.skip("no writable cgroup hierarchy here")

    # This run's groups: other sandboxes of this test process (the judge tests' shared
    # one) make groups of their own, from their own threads, for the runs they ready.
    made: list[Path] = []
    job_cgroup = cgroups.JobCgroup

    def recorded(*args, **kwargs):
        group = job_cgroup(*args, **kwargs)
        if threading.current_thread() is threading.main_thread():
            made.extend(group.dirs.values())
        return group

    def broken(*_args, **_kwargs):
        assert made and all(g.exists() for g in made), "the run's groups exist when it starts"
        raise SandboxError("bubblewrap failed (on purpose)")

    monkeypatch.setattr(cgroups, "JobCgroup", recorded)
    monkeypatch.setattr(box, "_start_box", broken)
    try:
        with pytest.raises(SandboxError, match="on purpose"):
            box.run(RunRequest(json.dumps({"source": "ANSWER = 1"}).encode(), LIMITS))
        assert made and not any(g.exists() for g in made)
    finally:
        box.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_cannot_reach_the_judges_terminal(backend):
    """The judge runs with a terminal as its controlling terminal (a pty here); the run
    must find no terminal to open and no descriptor that takes TIOCSTI."""
    if backend == "docker":
        docker_or_skip()
    probe = (
        "import fcntl, os, termios\n"
        "fds = {}\n"
        "for fd in map(int, os.listdir('/proc/self/fd')):\n"
        "    try:\n"
        "        fcntl.ioctl(fd, termios.TIOCSTI, b'Q')\n"
        "        fds[fd] = 'TIOCSTI accepted'\n"
        "    except OSError as exc:\n"
        "        fds[fd] = exc.strerror\n"
        "try:\n"
        "    tty = os.open('/dev/tty', os.O_RDWR)\n"
        "    for ch in 'echo IN' + 'JECTED\\n':\n"
        "        fcntl.ioctl(tty, termios.TIOCSTI, ch.encode())\n"
        "    opened = 'opened'\n"
        "except OSError as exc:\n"
        "    opened = exc.strerror\n"
        "ANSWER = {'tty': opened, 'fds': fds}\n"
    )
    pid, master = pty.fork()
    if pid == 0:  # the judge: a session leader with the pty as controlling terminal
        os.execv(sys.executable, _judge_command(backend, probe, wall=30))
    seen = b""
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the judge has exited and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        os.waitpid(pid, 0)
    text = seen.decode(errors="replace")
    assert "REPLY " in text, text[-2000:]
    answer = json.loads(json.loads(text.rsplit("REPLY ", 1)[1].splitlines()[0]))["answer"]
    assert answer["tty"] != "opened", answer
    assert "TIOCSTI accepted" not in answer["fds"].values(), answer
    assert "INJECTED" not in text


def test_bubblewrap_gets_a_new_session_and_dies_with_its_parent():
    for root in (True, False):
        argv = bwrap_argv("bwrap", python_view(), root=root, info_fd=3, scratch_mb=16, device="cpu")
        options = argv[: argv.index("--")]
        assert "--new-session" in options and "--die-with-parent" in options


#: A judge that starts the real worker's warm parent (which imports torch, seconds)
#: and prints its pid as soon as it exists.
STARTING = rf"""
import sys, threading, time
sys.path.insert(0, {str(REPO)!r})
from quizzer.judge.sandbox.process import ProcessSandbox
box = ProcessSandbox()
threading.Thread(target=box.start, daemon=True).start()
while box._zygote is None:
    time.sleep(0.005)
print(box._zygote.proc.pid, flush=True)
time.sleep(60)
"""


def test_a_warm_parent_still_starting_dies_with_its_judge():
    """A judge killed while its warm parent is still importing torch leaves nothing
    behind: the warm parent notices at once, not when its start-up is over."""
    judge = subprocess.Popen([sys.executable, "-c", STARTING], stdout=subprocess.PIPE, text=True)
    assert judge.stdout is not None
    zygote = int(judge.stdout.readline())
    judge.kill()
    judge.wait()
    deadline = time.monotonic() + 1.0
    while _running(zygote) and time.monotonic() < deadline:
        time.sleep(0.02)
    alive = _running(zygote)
    if alive:
        os.kill(zygote, signal.SIGKILL)
    assert not alive, "the warm parent outlived its judge by more than a second"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_closing_a_sandbox_whose_warm_parent_is_starting_ends_it_at_once():
    """Cancelling a cold judgement closes its sandbox while the warm parent imports
    torch: closing does not wait for the start-up, and nothing is left."""
    import threading

    from quizzer.errors import SandboxError
    from quizzer.judge.sandbox.process import ProcessSandbox

    box = ProcessSandbox()
    failures: list[BaseException] = []

    def start() -> None:
        try:
            box.start()
        except SandboxError as exc:  # its start-up was ended: expected
            failures.append(exc)

    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    while box._zygote is None:
        time.sleep(0.005)
    pid = box._zygote.proc.pid
    began = time.monotonic()
    box.close()
    took = time.monotonic() - began
    starter.join(5)
    assert took < 1.0, f"closing waited {took:.2f} s for the warm parent's start-up"
    assert not _running(pid)
    assert failures, "the start-up should have ended with the sandbox"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sandbox_closed_before_its_start_starts_nothing(backend):
    """A cold judgement that stops before its background start got going (a bad
    option found after the start was asked for) closes the sandbox first: the start
    then refuses, and no warm parent or container outlives the close."""
    from quizzer.errors import SandboxError
    from quizzer.judge.sandbox import open_sandbox

    if backend == "docker":
        docker_or_skip()
    box = open_sandbox(backend)
    box.close()
    with pytest.raises(SandboxError, match="closed"):
        box.start()
    if backend == "process":
        assert box._zygote is None
    else:
        assert not box.live and box.app is None

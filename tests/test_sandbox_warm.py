"""Warm workers give every submission a fresh process: nothing one run does (files,
environment, globals, patched torch, System V IPC) reaches the next, under the process
sandbox and the Docker sandbox. Uses the stand-in worker (tests/hostile/_stub_worker.py),
whose reply reports what the submission's module-level `ANSWER` holds."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from quizzer.judge.sandbox.base import RunRequest
from tests.sandbox_support import (
    HOSTILE,
    LIMITS,
    STUB_WORKER,
    docker_or_skip,
    scratch_mounts,
    strays,
)

# one worker builds the warm sandboxes once (a module fixture is built once per worker)
pytestmark = pytest.mark.xdist_group("sandbox-warm")


def _process():
    from quizzer.judge.sandbox.process import ProcessSandbox

    return ProcessSandbox(worker=STUB_WORKER)


def _docker():
    docker_or_skip()
    from quizzer.judge.sandbox.docker import DockerSandbox

    return DockerSandbox(worker=STUB_WORKER, workers=2)


@pytest.fixture(
    scope="module", params=["process", pytest.param("docker", marks=pytest.mark.docker)]
)
def sandbox(request):
    box = {"process": _process, "docker": _docker}[request.param]()
    yield box
    box.close()


def run(sandbox, source: str):
    outcome = sandbox.run(RunRequest(json.dumps({"source": source}).encode(), LIMITS))
    assert outcome.exit_code == 0, outcome
    return json.loads(outcome.reply), outcome


def test_a_clean_run_replies_from_an_unprivileged_fresh_process(sandbox):
    reply, outcome = run(sandbox, "import os\nANSWER = [os.getuid(), sorted(os.environ)]")
    uid, env = reply["answer"]
    assert reply["ok"] is True
    assert uid != 0
    assert "QUIZZER_TEST_SECRET" not in env and "OMP_NUM_THREADS" in env
    assert outcome.limit_hit is None
    assert outcome.protections


def test_nothing_passes_from_one_submission_to_the_next(sandbox):
    writer, _ = run(sandbox, (HOSTILE / "state_writer.py").read_text())
    assert writer["ok"] is False and "state left" in writer["error"]
    reader, _ = run(sandbox, (HOSTILE / "state_reader.py").read_text())
    assert reader["ok"] is True, reader
    assert reader["answer"] == {
        "tmp": scratch_mounts(),
        "shm": [],
        "env": None,
        "linear": True,
        "seed_patched": False,
        "builtins": None,
        "sysv": -1,
    }


def test_every_run_is_a_new_process(sandbox):
    pids = set()
    for _ in range(3):
        reply, _ = run(sandbox, "import os, time\nANSWER = (os.getpid(), time.monotonic_ns())")
        pids.add(tuple(reply["answer"]))
    assert len(pids) == 3


def test_parallel_runs_are_isolated_from_each_other(sandbox):
    """Runs started together (as `--workers N` does) each see only their own scratch."""
    results: dict[int, dict] = {}

    def one(i: int) -> None:
        src = (
            "import os, time\n"
            f"open('mine-{i}', 'w').write('x')\n"
            "time.sleep(0.3)\n"
            "ANSWER = sorted(os.listdir('.'))"
        )
        results[i], _ = run(sandbox, src)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: r["answer"] for i, r in results.items()} == {
        i: sorted([f"mine-{i}", *scratch_mounts()]) for i in range(3)
    }
    assert strays(sandbox) == []


@pytest.mark.docker
def test_closing_the_docker_sandbox_removes_its_containers():
    client = docker_or_skip()
    import os

    from quizzer.judge.sandbox.docker import LABEL, DockerSandbox

    box = DockerSandbox(worker=STUB_WORKER)
    run(box, "ANSWER = 1")
    mine = {"label": [LABEL, f"{LABEL}.judge-pid={os.getpid()}"]}
    ids = {c.container.id for c in box.live}
    listed = {"all": True, "filters": mine, "ignore_removed": True}
    assert ids and ids <= {c.id for c in client.containers.list(**listed)}
    box.close()
    assert ids.isdisjoint(c.id for c in client.containers.list(**listed))


@pytest.mark.docker
@pytest.mark.slow
def test_a_docker_run_gets_its_memory_limit_on_top_of_the_warm_parent():
    """The container starts with headroom for the warm parent, then its limit is
    lowered to the parent's use plus the run's limit, as for a run in its own cgroup."""
    client = docker_or_skip()
    from quizzer.judge.sandbox.docker import PARENT_MB, DockerSandbox

    box = DockerSandbox(worker=STUB_WORKER)
    try:
        reply, outcome = run(box, "B = [b'x' * (64 << 20) for _ in range(2)]\nANSWER = len(B)")
        assert reply["answer"] == 2 and outcome.limit_hit is None
        (container,) = box.live
        memory = client.api.inspect_container(container.container.id)["HostConfig"]["Memory"]
        assert LIMITS.memory_mb << 20 < memory < (LIMITS.memory_mb + PARENT_MB) << 20
        source = json.dumps({"source": "B = [b'x' * (64 << 20) for _ in range(8)]"})
        assert box.run(RunRequest(source.encode(), LIMITS)).limit_hit == "memory"
    finally:
        box.close()


#: Scans the run's own memory (every readable region that is not a file's text) for a
#: marker whose two halves are never joined in this source or in this process, and
#: reports where it found them joined. (Runs start non-dumpable, which makes their
#: own /proc/self/mem root's; PR_SET_DUMPABLE gives it back.)
MEMORY_SCAN = """
import ctypes, os
HEAD, TAIL = {head!r}.encode(), {tail!r}.encode()
found, buf = [], bytearray(1 << 20)
ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # dumpable again, so /proc/self/mem is ours
fd = os.open("/proc/self/mem", os.O_RDONLY)
for line in open("/proc/self/maps").read().splitlines():
    parts = line.split()
    span, perms, name = parts[0], parts[1], (parts[5] if len(parts) > 5 else "")
    if perms[0] != "r" or name in ("[vvar]", "[vsyscall]", "[vdso]", "[vvar_vclock]"):
        continue
    if name.startswith("/") and "w" not in perms:
        continue  # a file's read-only text cannot hold what an earlier run sent
    start, end = (int(x, 16) for x in span.split("-"))
    for at in range(start, end, len(buf)):
        try:
            n = os.preadv(fd, [buf], at)
        except OSError:
            break
        view = memoryview(buf)[:n]
        i = buf.find(HEAD, 0, n)
        while i >= 0:
            if bytes(view[i + len(HEAD) : i + len(HEAD) + len(TAIL)]) == TAIL:
                found.append(hex(at + i) + " " + name)
            i = buf.find(HEAD, i + 1, n)
ANSWER = found
"""


@pytest.fixture(params=["process", pytest.param("docker", marks=pytest.mark.docker)])
def one_slot(request):
    """A sandbox whose runs all go through one warm parent (one container)."""
    if request.param == "process":
        box = _process()
    else:
        docker_or_skip()
        from quizzer.judge.sandbox.docker import DockerSandbox

        box = DockerSandbox(worker=STUB_WORKER, workers=1)
    yield box
    box.close()


def test_a_run_never_holds_an_earlier_submissions_data(one_slot):
    """Runs fork from a warm parent: if that parent ever held an earlier run's request,
    reply, output or file names, the next run could read them in its own memory."""
    import secrets

    head, tail = "quizzer-secret-" + secrets.token_hex(8), secrets.token_hex(8)
    marker = head + tail
    writer = (
        f"import os\nMARK = {marker!r}\nprint(MARK * 4)\n"
        "open('/tmp/' + MARK, 'w').write(MARK)\nANSWER = [MARK] * 4\n"
    )
    first, outcome = run(one_slot, writer)
    assert first["answer"] == [marker] * 4 and marker in outcome.output
    reader, _ = run(one_slot, MEMORY_SCAN.format(head=head, tail=tail))
    assert reader["ok"] is True, reader
    assert reader["answer"] == [], "an earlier submission's data is in this run's memory"


def _wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_a_run_made_ready_ahead_is_used_and_takes_the_new_runs_limits(monkeypatch):
    """The process sandbox makes the next run ready while idle (sandbox, keeper and
    process started, waiting for limits and request). The next run uses it without
    starting one of its own, and gets its own limits, not those the ready run was made
    with: a memory hog under a small limit is stopped there, and so is a busy loop
    under a short CPU limit. Closing the sandbox ends the waiting run's processes."""
    from quizzer.judge.sandbox.process import ProcessSandbox

    box = ProcessSandbox(worker=STUB_WORKER)
    generous = LIMITS.model_copy(update={"memory_mb": 2048, "cpu_s": 30.0})
    prepared_by: list[str] = []
    prepare = box._prepare

    def counted(*args, **kwargs):
        prepared_by.append(threading.current_thread().name)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(box, "_prepare", counted)
    try:
        first, _ = run_with(box, "ANSWER = 1", generous)
        assert first["answer"] == 1
        assert _wait_for(box.idle_pids), "no run was made ready after the first"
        waiting = box.idle_pids()
        before = list(prepared_by)
        hog = "x = bytearray(600 << 20)\nx[::4096] = b'1' * len(x[::4096])\nANSWER = 1"
        outcome = box.run(RunRequest(json.dumps({"source": hog}).encode(), LIMITS))
        assert outcome.limit_hit == "memory", outcome
        assert threading.current_thread().name not in prepared_by[len(before) :]
        assert _wait_for(lambda: not any(os.path.exists(f"/proc/{p}") for p in waiting), 5)
        assert _wait_for(box.idle_pids)
        spin = box.run(RunRequest(json.dumps({"source": "while True: pass"}).encode(), LIMITS))
        assert spin.limit_hit == "cpu", spin
        assert _wait_for(box.idle_pids)
        waiting = box.idle_pids()
    finally:
        box.close()
    assert box.idle_pids() == set()
    assert _wait_for(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in waiting), 5)


def run_with(box, source: str, limits):
    outcome = box.run(RunRequest(json.dumps({"source": source}).encode(), limits))
    assert outcome.exit_code == 0, outcome
    return json.loads(outcome.reply), outcome

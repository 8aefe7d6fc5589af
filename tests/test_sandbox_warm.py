"""Warm workers give every submission a fresh process: nothing one run does (files,
environment, globals, patched torch, System V IPC) reaches the next, under the process
sandbox and the Docker sandbox. Uses the stand-in worker (tests/hostile/_stub_worker.py),
whose reply reports what the submission's module-level `ANSWER` holds."""

from __future__ import annotations

import json
import threading

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
    assert ids and ids <= {c.id for c in client.containers.list(all=True, filters=mine)}
    box.close()
    assert ids.isdisjoint(c.id for c in client.containers.list(all=True, filters=mine))


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

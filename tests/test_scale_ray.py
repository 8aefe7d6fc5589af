"""The Ray backend on a real local Ray cluster: several nodes on this machine, started
once for the module with Ray's own `ray.cluster_utils.Cluster`. Nothing is mocked.

The cluster: a head that runs no work, two CPU nodes, a node that advertises one GPU
(this machine has none: Ray accounts for it, CUDA is never touched, and the judge there
runs on the CPU, so the GPU test proves placement, not CUDA judging) and a node whose
sandbox cannot give full isolation (its bubblewrap is missing). The node-loss test
removes a CPU node, so it runs last.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'quizzer[ray]'")

from quizzer.errors import SandboxError  # noqa: E402
from quizzer.judge.scale.batch import packs_for, run_batch  # noqa: E402
from quizzer.judge.scale.ledger import Ledger  # noqa: E402
from quizzer.judge.scale.ray_backend import RayBackend  # noqa: E402
from quizzer.judge.scale.work import Submission  # noqa: E402
from tests.judge_support import REPO, task  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.ray, pytest.mark.xdist_group("ray-cluster")]

CASES = REPO / "tests" / "judge_cases"
#: Golden cases of simple-nn: correct styles, bug classes and forgeries.
PARITY = [
    "nn_reference_functional",
    "nn_sequential_tanh",
    "nn_batchnorm_dropout",
    "nn_detach_middle",
    "nn_softmax_probabilities",
    "nn_syntax_error",
    "forge_sys_exit_zero",
    "forge_print_fake_result",
    "forge_monkeypatch_torch",
]
SEED = 1234


def case_file(name: str) -> Path:
    want = json.loads((CASES / name / "expected.json").read_text())
    return REPO / want["submission"] if "submission" in want else CASES / name / "submission.py"


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    started = time.monotonic()
    # A node is its raylet's environment: the head's bubblewrap cannot be found, so
    # its sandbox cannot give full isolation.
    os.environ["QUIZZER_BWRAP"] = "/nonexistent/bwrap"
    try:
        made = Cluster(
            initialize_head=True,
            head_node_args={
                "num_cpus": 1,
                "include_dashboard": False,
                # a lost node is noticed in about a second, not tens of seconds
                "_system_config": {
                    "health_check_period_ms": 500,
                    "health_check_failure_threshold": 3,
                },
            },
        )
    finally:
        del os.environ["QUIZZER_BWRAP"]
    nodes = {"weak": made.head_node}
    nodes["cpu1"] = made.add_node(num_cpus=1)
    nodes["cpu2"] = made.add_node(num_cpus=1)
    nodes["gpu"] = made.add_node(num_cpus=1, num_gpus=1)
    made.wait_for_nodes()
    # the slots import the quizzer under test, wherever this test runs from
    ray.init(
        address=made.address,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    ids = {name: node.node_id for name, node in nodes.items()}
    yield made, nodes, ids
    ray.shutdown()
    made.shutdown()
    print(f"\nray cluster module: {time.monotonic() - started:.1f} s")


@pytest.fixture(scope="module")
def simple_nn():
    coding = task("simple-nn")
    tasks = packs_for([coding])
    return coding, next(iter(tasks)), tasks


NOTES: list[str] = []
#: The node-loss batch's documents, for the driver-crash test to compare with.
CLEAN: dict[str, list[dict]] = {}


@pytest.fixture(scope="module")
def shared(cluster, simple_nn):
    """One backend for the module: its slots stay warm from one batch to the next."""
    far = backend(simple_nn[2], note=NOTES.append)
    yield far
    far.close()


def subs_for(files: list[Path], digest: str, **extra) -> list[Submission]:
    return [
        Submission(
            task_id="simple-nn",
            task_hash=digest,
            source=f.read_bytes(),
            name=f.name if f.name != "submission.py" else f"{f.parent.name}.py",
            seed=SEED,
            device="cpu",
            **extra,
        )
        for f in files
    ]


def backend(tasks, **kw) -> RayBackend:
    packs = {d: p for d, (_, p) in tasks.items()}
    return RayBackend(packs, address=None, sandbox="process", allow_weak=False, **kw)


def verdicts(docs: list[dict]) -> list[tuple[str, dict[str, str]]]:
    return [(d["status"], {c["name"]: c["status"] for c in d["checks"]}) for d in docs]


def test_parity_with_the_local_backend_on_golden_cases(cluster, simple_nn, shared):
    from quizzer.judge.scale.local import LocalBackend
    from tests.judge_support import warm_sandbox

    _, _, ids = cluster
    coding, digest, _ = simple_nn
    subs = subs_for([case_file(c) for c in PARITY], digest)
    # this test process's warm process sandbox, which other judge tests share
    here = run_batch(subs, LocalBackend({digest: coding}, warm_sandbox(), workers=2))
    nodes: list[str] = []
    there = run_batch(subs, shared, on_done=lambda s, d, node: nodes.append(node))
    assert verdicts(there) == verdicts(here)
    for name, (status, checks) in zip(PARITY, verdicts(there), strict=True):
        want = json.loads((CASES / name / "expected.json").read_text())
        assert status == want["status"], name
        assert {k: checks[k] for k in want["checks"]} == want["checks"], name
    assert not any(d["infrastructure"] for d in there)
    # the node without full isolation was asked, refused, and judged nothing
    assert ids["weak"] not in nodes and "bubblewrap" in shared.refused[ids["weak"]]
    assert any(ids["weak"][:12] in n and "does not judge" in n for n in NOTES)
    assert len(set(nodes)) >= 2  # spread over the nodes
    slots = [p for p in shared.placed if not p["refused"]]
    assert all(p["gpus"] == [] for p in slots)  # CPU work never holds a GPU


def test_a_node_without_full_isolation_does_not_judge(cluster, simple_nn):
    _, _, ids = cluster
    _, digest, tasks = simple_nn
    subs = subs_for([case_file("nn_reference_functional"), case_file("nn_detach_middle")], digest)
    only_weak = backend(tasks, nodes=[ids["weak"]], note=lambda _: None)
    try:
        docs = run_batch(subs, only_weak)
    finally:
        only_weak.close()
    assert [d["status"] for d in docs] == ["error", "error"]
    assert all(d["infrastructure"] for d in docs)  # not judged: never the file's verdict
    assert "needs full isolation" in docs[0]["message"]
    assert "bubblewrap" in only_weak.refused[ids["weak"]]


def test_sandbox_none_is_refused_on_a_cluster(cluster, simple_nn):
    _, _, tasks = simple_nn
    packs = {d: p for d, (_, p) in tasks.items()}
    with pytest.raises(SandboxError, match="no isolation inside Ray workers"):
        RayBackend(packs, address=None, sandbox="none", allow_weak=True)


def test_gpu_work_lands_on_the_gpu_node_only_and_cpu_work_holds_no_gpu(cluster, simple_nn, shared):
    _, _, ids = cluster
    _, digest, _ = simple_nn
    files = [
        case_file(c) for c in ("nn_reference_functional", "nn_detach_middle", "nn_sequential_tanh")
    ]
    # device cpu: this machine has no CUDA; the GPU share is what places the work
    gpu = subs_for(files, digest, gpu=0.5)
    cpu = subs_for([case_file("nn_softmax_probabilities")], digest)
    placed: dict[str, str] = {}
    # the shared backend's warm CPU slots hold the GPU node's CPU: the GPU work must
    # get room there all the same
    far = shared
    docs = run_batch([*gpu, *cpu], far, on_done=lambda s, d, node: placed.setdefault(s.name, node))
    assert [d["status"] for d in docs] == ["pass", "fail", "pass", "fail"]
    assert {placed[s.name] for s in gpu} == {ids["gpu"]}
    assert placed[cpu[0].name] != ids["gpu"]
    slots = [p for p in far.placed if not p["refused"]]
    assert {p["node"] for p in slots if p["kind"][0] > 0} == {ids["gpu"]}
    assert all(p["gpus"] for p in slots if p["kind"][0] > 0)
    assert all(p["gpus"] == [] for p in slots if p["kind"][0] == 0)


def simple_nn_files() -> list[Path]:
    bad = sorted((REPO / "questions/tasks/simple-nn/bad").glob("*.py"))
    return [REPO / "questions/tasks/simple-nn/reference.py", *bad]


def test_losing_a_node_mid_batch_loses_no_submission_and_duplicates_none(
    cluster, simple_nn, shared, tmp_path
):
    made, nodes, ids = cluster
    _, digest, _ = simple_nn
    subs = subs_for(simple_nn_files(), digest)
    ledger = Ledger(tmp_path / "batch.db")
    two_done = threading.Event()
    seen: list[tuple[str, str]] = []

    def on_done(sub, doc, node):
        seen.append((sub.key, node))
        if len(seen) == 2:
            two_done.set()

    outcome: dict = {}
    runner = threading.Thread(
        target=lambda: outcome.setdefault("docs", run_batch(subs, shared, ledger, on_done=on_done))
    )
    runner.start()
    assert two_done.wait(120)
    made.remove_node(nodes["cpu2"], allow_graceful=False)
    runner.join(240)
    assert not runner.is_alive()
    docs = outcome["docs"]
    rows = ledger.rows()
    assert len(rows) == len(subs) and {r.state for r in rows} == {"done"}
    assert len({k for k, _ in seen}) == len(seen) == len(subs)  # each stored once
    assert [d["status"] for d in docs] == ["pass"] + ["fail"] * (len(subs) - 1)
    assert not any(d["infrastructure"] for d in docs)
    retried = {r.submission.key for r in rows if r.attempts >= 2}
    assert retried  # the call in flight on the lost node was sent again...
    assert all(node != ids["cpu2"] for key, node in seen if key in retried)  # ...elsewhere
    CLEAN["docs"] = docs


def test_a_killed_driver_is_finished_by_resume_with_each_submission_once(
    cluster, shared, run_cli, tmp_path
):
    made, _, _ = cluster
    shared.close()  # its warm slots hold the CPUs the new driver's slots need
    files = simple_nn_files()
    ledger = tmp_path / "batch.db"
    common = ["--backend", "ray", "--address", made.address, "--json", "-w", "1", "--device", "cpu"]
    driver = subprocess.Popen(
        [
            *(sys.executable, "-m", "quizzer", "judge", *map(str, files), "--task", "simple-nn"),
            *("--seed", str(SEED), "--ledger", str(ledger), *common),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        done = 0
        deadline = time.monotonic() + 120
        while done < 2 and time.monotonic() < deadline and driver.poll() is None:
            time.sleep(0.1)
            try:
                with sqlite3.connect(ledger) as db:
                    query = "SELECT COUNT(*) FROM submissions WHERE state='done'"
                    done = db.execute(query).fetchone()[0]
            except sqlite3.OperationalError:  # not written yet
                continue
        assert driver.poll() is None, "the driver finished before it could be killed"
        os.killpg(driver.pid, signal.SIGKILL)
    finally:
        driver.wait(timeout=30)
    with sqlite3.connect(ledger) as db:
        states = dict(db.execute("SELECT state, COUNT(*) FROM submissions GROUP BY state"))
    assert 2 <= states.get("done", 0) < len(files)

    resumed = run_cli("judge", "--resume", ledger, *common)
    assert resumed.exit_code == 1, {d["message"] for d in json.loads(resumed.stdout)}
    docs = json.loads(resumed.stdout)
    with sqlite3.connect(ledger) as db:
        rows = db.execute("SELECT key, state FROM submissions").fetchall()
    assert len(rows) == len(files) == len({k for k, _ in rows}) == len(docs)
    assert {s for _, s in rows} == {"done"}
    assert not any(d["infrastructure"] for d in docs)
    # the same verdicts, check by check, as the batch judged in one go (node-loss test)
    assert verdicts(docs) == verdicts(CLEAN["docs"])


def test_the_judge_service_judges_its_jobs_on_the_cluster(cluster, tmp_path):
    """`quizzer server run --backend ray`: the resident service sends a job's files to
    the cluster and streams the same result documents (after the driver test, which
    leaves the CPUs free)."""
    from quizzer.judge.service import JudgeService

    made, _, ids = cluster
    service = JudgeService(backend="ray", address=made.address, ledger=tmp_path / "svc.db")
    try:
        files = [case_file("nn_reference_functional"), case_file("nn_detach_middle")]
        job = service.submit(
            {
                "files": [str(f) for f in files],
                "task": "simple-nn",
                "seed": SEED,
                "device": "cpu",
                "sandbox": "process",
            }
        )
        with job.changed:
            job.changed.wait_for(lambda: job.done, timeout=180)
        assert job.done and job.exit == 1  # one fails
        assert [d["status"] for d in job.results] == ["pass", "fail"]
        starts = [e for e in job.events if e.get("event") == "start"]
        assert sorted(e["index"] for e in starts) == [1, 2]
        with sqlite3.connect(tmp_path / "svc.db") as db:
            nodes = {n for (n,) in db.execute("SELECT node FROM submissions")}
        assert ids["weak"] not in nodes and len(nodes) >= 1
    finally:
        service.close()

"""Scale-out throughput: the same batch judged by the local backend and by the Ray
backend on a local cluster of 1, 2 and 4 one-CPU nodes, in one run.

Every configuration judges the same submissions (a task's reference solution and its
known-bad variants, `--copies` times, each copy with its own seed so that no result is
reused), with the process sandbox, after a warm-up batch that starts its slots (torch
imported, warm parents started). It reports submissions per second and, since the
nodes of a local cluster share this machine's cores, efficiency per core: throughput
divided by the cores the configuration can really use (min(slots, CPUs)), relative to
the local backend's with one worker per core (the local backend also runs with as many
workers as the largest cluster has slots: judging waits on sandboxed children, so more
slots than cores still helps, on either backend). Ray's own overhead per submission
shows there; adding nodes on one machine cannot add cores. Run it from the repository
root:

    .venv/bin/python benchmarks/judge_scale.py                # 1, 2 and 4 nodes
    .venv/bin/python benchmarks/judge_scale.py --nodes 1 2 --copies 2

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quizzer.bank.loader import load_bank  # noqa: E402
from quizzer.commands.judge import find_task  # noqa: E402
from quizzer.judge.scale.batch import packs_for, run_batch  # noqa: E402
from quizzer.judge.scale.work import Submission  # noqa: E402


def batch(task_id: str, digest: str, copies: int, seed0: int) -> list[Submission]:
    folder = REPO / "questions" / "tasks" / task_id
    files = [folder / "reference.py", *sorted((folder / "bad").glob("*.py"))]
    return [
        Submission(task_id, digest, f.read_bytes(), f.name, seed0 + copy, device="cpu")
        for copy in range(copies)
        for f in files
    ]


def timed(subs, backend) -> tuple[float, int]:
    started = time.perf_counter()
    docs = run_batch(subs, backend)
    took = time.perf_counter() - started
    return took, sum(d.get("infrastructure", False) for d in docs)


def local_run(tasks, digest, task_id, copies, workers) -> dict:
    from quizzer.judge.sandbox import make_sandbox
    from quizzer.judge.scale.local import LocalBackend

    backend = LocalBackend(
        {digest: tasks[digest][0]}, make_sandbox("process", workers=workers), workers=workers
    )
    try:
        timed(batch(task_id, digest, 1, 10_000), backend)  # warm-up
        took, lost = timed(batch(task_id, digest, copies, 0), backend)
    finally:
        backend.close()
    return {"name": f"local, {workers} workers", "slots": workers, "s": took, "lost": lost}


def ray_run(tasks, digest, task_id, copies, nodes: int) -> dict:
    import ray
    from ray.cluster_utils import Cluster

    from quizzer.judge.scale.ray_backend import RayBackend

    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False}
    )
    for _ in range(nodes):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        packs = {d: p for d, (_, p) in tasks.items()}
        backend = RayBackend(
            packs, address=None, sandbox="process", allow_weak=False, note=lambda _: None
        )
        try:
            timed(batch(task_id, digest, 1, 10_000), backend)  # warm-up: starts the slots
            took, lost = timed(batch(task_id, digest, copies, 0), backend)
        finally:
            backend.close()
    finally:
        ray.shutdown()
        cluster.shutdown()
    return {"name": f"ray, {nodes} node(s)", "slots": nodes, "s": took, "lost": lost}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="simple-nn")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    task = find_task(load_bank(), args.task)
    tasks = packs_for([task])
    digest = next(iter(tasks))
    count = len(batch(args.task, digest, args.copies, 0))
    # the local backend with one worker per core, and with as many as the most nodes
    workers = sorted({cores, max(args.nodes)})
    runs = [local_run(tasks, digest, args.task, args.copies, w) for w in workers]
    runs += [ray_run(tasks, digest, args.task, args.copies, n) for n in args.nodes]
    base = None
    print(f"{count} submissions of {args.task}; {cores} cores on this machine")
    print(f"{'backend':<22}{'s':>8}{'subs/s':>9}{'cores':>7}{'per core':>10}{'vs local':>10}")
    for run in runs:
        rate = count / run["s"]
        used = min(run["slots"], cores)
        per_core = rate / used
        base = base or per_core
        print(
            f"{run['name']:<22}{run['s']:>8.2f}{rate:>9.2f}{used:>7}{per_core:>10.2f}"
            f"{per_core / base:>10.2f}" + (f"  ({run['lost']} not judged)" if run["lost"] else "")
        )


if __name__ == "__main__":
    main()

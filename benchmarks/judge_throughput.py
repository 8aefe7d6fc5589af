"""Judge throughput: the same submissions judged three ways in one run.

1. baseline: a fresh `python worker/harness.py` per submission (the `none` sandbox, which starts
   an interpreter and imports torch every time);
2. process: the warm process sandbox (bubblewrap + cgroups, children forked from a
   parent that has torch imported);
3. docker: the Docker sandbox (warm containers, one child per submission).

Each judges every file with `--workers` threads after a warm-up (warm parents started,
first-call costs paid), and reports the median latency per submission, submissions per
second, and the ratios. Run it from the repository root:

    .venv/bin/python benchmarks/judge_throughput.py            # all three
    .venv/bin/python benchmarks/judge_throughput.py --skip docker
    # the same run also judges with another worker entry (e.g. an older worker taken
    # from git) under the process sandbox, and prints today's vs that one's throughput:
    .venv/bin/python benchmarks/judge_throughput.py --compare-worker /tmp/old/worker.py

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quizzer.bank.loader import load_bank  # noqa: E402
from quizzer.commands.judge import find_task  # noqa: E402
from quizzer.judge.runner import Options, judge_bytes  # noqa: E402
from quizzer.judge.sandbox import make_sandbox  # noqa: E402


def submissions(task_id: str, copies: int) -> list[tuple[str, bytes]]:
    folder = REPO / "questions" / "tasks" / task_id
    files = [folder / "reference.py", *sorted((folder / "bad").glob("*.py"))]
    return [(f.name, f.read_bytes()) for f in files] * copies


def measure(name: str, task, subs, workers: int, worker: str | None = None) -> dict:
    t0 = time.perf_counter()
    box = make_sandbox(name, workers=workers, allow_weak=name == "process", worker=worker)
    start = getattr(box, "start", None)
    try:
        if callable(start):
            with ThreadPoolExecutor(workers) as pool:  # one warm parent / container per slot
                list(pool.map(lambda _: start(), range(workers if name == "docker" else 1)))
        judge_bytes(subs[0][1], task, box, Options(device="cpu"))  # first-call costs
        warm_s = time.perf_counter() - t0

        def one(sub: tuple[str, bytes]) -> tuple[float, str]:
            began = time.perf_counter()
            result = judge_bytes(sub[1], task, box, Options(device="cpu"), display=sub[0])
            return time.perf_counter() - began, result.status.value

        began = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            runs = list(pool.map(one, subs))
        total = time.perf_counter() - began
    finally:
        box.close()
    latencies = [t for t, _ in runs]
    return {
        "sandbox": name,
        "protections": list(box.protections()),
        "submissions": len(subs),
        "warm_up_s": round(warm_s, 3),
        "median_s": round(statistics.median(latencies), 4),
        "p90_s": round(sorted(latencies)[int(0.9 * (len(latencies) - 1))], 4),
        "per_s": round(len(subs) / total, 3),
        "statuses": sorted({s for _, s in runs}),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="simple-nn")
    parser.add_argument("--copies", type=int, default=2, help="how many times to judge each file")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--skip", action="append", default=[], choices=["none", "process", "docker"]
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--compare-worker",
        metavar="PATH",
        help="also judge under the process sandbox with this worker entry file",
    )
    args = parser.parse_args(argv)

    task = find_task(load_bank(None), args.task)
    subs = submissions(args.task, args.copies)
    modes = [m for m in ("none", "process", "docker") if m not in args.skip]
    rows = {m: measure(m, task, subs, args.workers) for m in modes}
    ratios = {}
    if args.compare_worker:
        rows["other"] = measure("process", task, subs, args.workers, args.compare_worker)
        if "process" in rows:
            ratios["process_vs_other_worker_throughput"] = round(
                rows["process"]["per_s"] / rows["other"]["per_s"], 2
            )
    if "none" in rows and "process" in rows:
        ratios["process_vs_baseline_throughput"] = round(
            rows["process"]["per_s"] / rows["none"]["per_s"], 2
        )
    if "process" in rows and "docker" in rows:
        ratios["docker_vs_process_throughput"] = round(
            rows["docker"]["per_s"] / rows["process"]["per_s"], 2
        )
    if args.json:
        print(
            json.dumps(
                {"task": args.task, "workers": args.workers, "rows": rows, "ratios": ratios},
                indent=2,
            )
        )
        return
    print(
        f"task {args.task}: {len(subs)} submissions, {args.workers} workers, {os.cpu_count()} CPUs"
    )
    print(f"{'sandbox':<10}{'warm-up s':>10}{'median s':>10}{'p90 s':>9}{'subs/s':>9}  statuses")
    label = {"none": "baseline", "process": "process", "docker": "docker", "other": "other"}
    for m, r in rows.items():
        print(
            f"{label[m]:<10}{r['warm_up_s']:>10.2f}{r['median_s']:>10.3f}{r['p90_s']:>9.3f}"
            f"{r['per_s']:>9.2f}  {','.join(r['statuses'])}"
        )
    for key, value in ratios.items():
        print(f"{key}: {value}x")


if __name__ == "__main__":
    main()

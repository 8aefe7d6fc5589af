"""How long the judge's checks take, against a whole `quizzer judge` call.

For both bundled tasks, judges the reference solution:
- checks: the worker's own time for the checks (the sum each check reports), in a
  child forked from a warm parent that has imported torch and called `warm_up()`,
  as the warm pool does; plus the trusted side's verdict time;
- whole call: `python -m quizzer judge REFERENCE --task ID --device cpu` as a user
  runs it (interpreter start, bank load, sandbox, torch import in the worker, checks).
Prints medians and the ratio whole / checks. Targets: SimpleNN checks < 0.3 s,
SimpleCNN checks < 1 s. Run: `.venv/bin/python benchmarks/judge_latency.py [--repeats N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quizzer.bank.loader import load_bank  # noqa: E402
from quizzer.judge import worker  # noqa: E402
from quizzer.judge.facts import Context  # noqa: E402
from quizzer.judge.probes import build_request, make_probes  # noqa: E402
from quizzer.judge.result import Status, overall  # noqa: E402
from quizzer.judge.sandbox.base import RunOutcome  # noqa: E402
from quizzer.judge.verdicts import judge_outcome  # noqa: E402
from quizzer.judge.wire import decode_frames  # noqa: E402

TARGETS = {"simple-nn": 0.3, "simple-cnn": 1.0}


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def warm_checks(task, source: str, seed: int) -> tuple[float, float, float]:
    """(checks as the worker timed them, fork-to-reply wall, trusted verdict time)."""
    probes = make_probes(task.spec, seed)
    payload = build_request(task, source, probes, "cpu")
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: output to /dev/null, then the worker
        os.close(req_w)
        os.close(rep_r)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os._exit(worker.serve(req_r, rep_w))
    os.close(req_r)
    os.close(rep_w)
    os.write(req_w, payload)
    os.close(req_w)
    reply = _read_all(rep_r)
    os.close(rep_r)
    _, status = os.waitpid(pid, 0)
    wall = time.perf_counter() - started
    frames, _ = decode_frames(reply)
    checks = sum(f.header.get("elapsed_s", 0.0) for f in frames if f.header.get("kind") == "check")
    verdict_started = time.perf_counter()
    outcome = RunOutcome(
        reply=reply, exit_code=os.waitstatus_to_exitcode(status), signal=None, wall_s=wall
    )
    results = judge_outcome(Context(task=task, probes=probes, device="cpu"), outcome, {})
    verdict = time.perf_counter() - verdict_started
    if overall(results)[0] is not Status.PASS:
        raise SystemExit(f"{task.id}: the reference did not pass: {overall(results)[1]}")
    return checks, wall, verdict


def whole_call(reference: Path, task_id: str, sandbox: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quizzer",
            "judge",
            str(reference),
            "--task",
            task_id,
            "--device",
            "cpu",
            "--sandbox",
            sandbox,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"quizzer judge failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--sandbox", default="none", help="sandbox for the whole call (default none)"
    )
    args = parser.parse_args()
    bank = load_bank()
    worker.warm_up()
    print(f"judge latency, {args.repeats} runs each, medians; whole call: --sandbox {args.sandbox}")
    columns = ("checks s", "verdict s", "fork+checks s", "whole call s", "whole/checks")
    print(f"{'task':<11} " + " ".join(f"{c:>13}" for c in columns) + "  target")
    for task_id, target in TARGETS.items():
        task = bank.get(task_id)
        reference = bank.resolve(task_id, task.reference)
        source = reference.read_text(encoding="utf-8")
        warm_checks(task, source, seed=0)  # warm the parent's caches once more
        runs = [warm_checks(task, source, seed=i + 1) for i in range(args.repeats)]
        checks = statistics.median(r[0] for r in runs)
        verdict = statistics.median(r[2] for r in runs)
        forked = statistics.median(r[1] for r in runs)
        whole = statistics.median(
            whole_call(reference, task_id, args.sandbox) for _ in range(args.repeats)
        )
        ok = "met" if checks < target else "MISSED"
        print(
            f"{task_id:<11} {checks:>13.3f} {verdict:>13.3f} {forked:>13.3f} {whole:>13.2f} "
            f"{whole / checks:>13.1f}  < {target} s: {ok}"
        )


if __name__ == "__main__":
    main()

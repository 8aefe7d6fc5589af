"""Judge accuracy on the project's own labelled corpus: false passes and false fails.

The corpus is every golden case under tests/judge_cases (a submission, or a bank file
it names, and the verdict it must get) plus every bank task's reference (must pass)
and known-bad variants (must fail), each judged on several seeds:

    .venv/bin/python benchmarks/judge_accuracy.py              # 5 seeds
    .venv/bin/python benchmarks/judge_accuracy.py --seeds 20 --json

A false pass is a file labelled `fail` (or `error`) that passed on some seed; a false fail is a file
labelled `pass` that did not. Both should be 0 on every seed. The files that miss are
listed with the seed, so that `quizzer judge FILE --task ID --seed N` shows why.
"""

from __future__ import annotations

import argparse
import json
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

CASES = REPO / "tests" / "judge_cases"


def corpus() -> list[tuple[Path, str, str]]:
    """(file, task id, expected status), each file once."""
    found: dict[Path, tuple[str, str]] = {}
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        want = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        path = REPO / want["submission"] if "submission" in want else case / "submission.py"
        found[path.resolve()] = (want["task"], want["status"])
    for task in load_bank([REPO / "questions" / "tasks"], include_bundled=False).tasks():
        folder = REPO / "questions" / "tasks" / task.id
        found.setdefault((folder / task.reference).resolve(), (task.id, "pass"))
        for variant in task.variants:
            found.setdefault((folder / variant.path).resolve(), (task.id, "fail"))
    return [(path, task, status) for path, (task, status) in sorted(found.items())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per file (1, 2, ...)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    bank = load_bank(None)
    files = corpus()
    jobs = [(f, t, want, seed) for f, t, want in files for seed in range(1, args.seeds + 1)]
    box = make_sandbox("process", workers=args.workers, allow_weak=True)
    started = time.perf_counter()

    def judge(job: tuple[Path, str, str, int]) -> tuple[Path, str, str, int, str, str]:
        path, task_id, want, seed = job
        result = judge_bytes(
            path.read_bytes(),
            find_task(bank, task_id),
            box,
            Options(device="cpu", seed=seed),
            display=str(path.relative_to(REPO)),
        )
        return path, task_id, want, seed, result.status.value, result.message or ""

    try:
        with ThreadPoolExecutor(args.workers) as pool:
            done = list(pool.map(judge, jobs))
    finally:
        box.close()
    labelled_pass = [f for f in files if f[2] == "pass"]
    labelled_fail = [f for f in files if f[2] != "pass"]  # fail or error: must not pass
    false_pass = sorted({(p, t) for p, t, want, _, got, _ in done if want != "pass" == got})
    false_fail = sorted({(p, t) for p, t, want, _, got, _ in done if want == "pass" != got})
    misses = [
        {"file": str(p.relative_to(REPO)), "task": t, "seed": s, "expected": w, "got": g, "why": m}
        for p, t, w, s, g, m in done
        if (w == "pass") != (g == "pass")
    ]
    figures = {
        "files": len(files),
        "labelled_pass": len(labelled_pass),
        "labelled_fail": len(labelled_fail),
        "seeds": args.seeds,
        "judgements": len(done),
        "false_passes": len(false_pass),
        "false_fails": len(false_fail),
        "false_pass_rate": round(len(false_pass) / max(1, len(labelled_fail)), 4),
        "false_fail_rate": round(len(false_fail) / max(1, len(labelled_pass)), 4),
        "seconds": round(time.perf_counter() - started, 1),
        "misses": misses,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{len(files)} files ({len(labelled_pass)} labelled pass, {len(labelled_fail)} "
        f"labelled fail or error) x {args.seeds} seeds = {len(done)} judgements in "
        f"{figures['seconds']} s"
    )
    print(f"false passes: {len(false_pass)} of {len(labelled_fail)} wrong files")
    print(f"false fails:  {len(false_fail)} of {len(labelled_pass)} correct files")
    for miss in misses:
        print(
            f"  {miss['expected']} but {miss['got']}: {miss['file']} (task {miss['task']}, "
            f"seed {miss['seed']}): {miss['why'][:160]}"
        )


if __name__ == "__main__":
    main()

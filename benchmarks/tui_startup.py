"""Time to first screen of the practice UI, with the bundled bank and with a
generated bank of 5,000 questions. A benchmark, not a test: it prints the numbers.

Each run is a fresh interpreter that imports quizzer, loads the bank, opens a
progress store and runs the app headless until the home screen has been drawn.
Two figures per run: from the child's first line to the first screen ("in
process"), and the parent's wall clock around the whole child ("whole process",
which adds interpreter start-up).

    .venv/bin/python benchmarks/tui_startup.py --repeats 5

Targets (issue 5): under 0.6 s with the bundled bank, under 1.5 s with 5,000
questions. The UI never imports torch; the child checks that too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TYPES = ("single_choice", "true_false", "numeric", "short_answer", "multiple_choice")


def question_yaml(n: int) -> str:
    """One generated question of a rotating type, in both languages."""
    kind = TYPES[n % len(TYPES)]
    head = (
        f"  - id: gen-{n:05d}\n    type: {kind}\n    topic: topic-{n % 12:02d}\n"
        f"    tags: [tag-{n % 30}]\n    difficulty: {('easy', 'medium', 'hard')[n % 3]}\n"
        f"    prompt: {{en: 'Generated question {n}?', zh: '生成的第 {n} 题？'}}\n"
        f"    explanation: {{en: 'Because {n}.', zh: '因为 {n}。'}}\n"
    )
    if kind == "single_choice":
        return head + (
            "    options:\n      - {id: a, text: {en: 'yes', zh: '是'}}\n"
            "      - {id: b, text: {en: 'no', zh: '否'}}\n    answer: a\n"
        )
    if kind == "multiple_choice":
        return head + (
            "    options:\n      - {id: a, text: {en: 'one', zh: '一'}}\n"
            "      - {id: b, text: {en: 'two', zh: '二'}}\n    answer: [a, b]\n"
        )
    if kind == "true_false":
        return head + "    answer: true\n"
    if kind == "numeric":
        return head + f"    answer: {n}\n    tolerance: 0.5\n"
    return head + f"    accepted: [answer-{n}]\n"


def generate_bank(root: Path, count: int = 5000, per_file: int = 100) -> Path:
    bank = root / "generated-bank"
    bank.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, per_file):
        body = "".join(question_yaml(n) for n in range(start, min(start + per_file, count)))
        (bank / f"gen-{start // per_file:03d}.yaml").write_text("questions:\n" + body, "utf-8")
    return bank


def child(bank_dir: str | None) -> None:
    """Runs in the measured interpreter: everything from imports to the first frame."""
    started = time.perf_counter()
    from quizzer.bank.loader import load_bank
    from quizzer.store import open_store
    from quizzer.tui.app import make_app
    from quizzer.tui.screens.home import HomeScreen

    loading = time.perf_counter()
    dirs = [Path(bank_dir)] if bank_dir else None
    bank = load_bank(dirs, include_bundled=not dirs, env={} if dirs else None)
    loaded = time.perf_counter() - loading
    store = open_store()
    app = make_app(bank, store)
    shown: dict[str, float] = {}

    async def first_screen(pilot) -> None:  # type: ignore[no-untyped-def]
        while not isinstance(app.screen, HomeScreen) or not app.screen.is_mounted:
            await pilot.pause(0.005)
        await pilot.pause()  # one refresh: the screen has been drawn
        shown["t"] = time.perf_counter() - started
        app.exit()

    app.run(headless=True, size=(100, 34), auto_pilot=first_screen)
    store.close()
    print(json.dumps({"seconds": shown["t"], "bank_s": loaded, "questions": len(bank),
                      "torch": "torch" in sys.modules}))  # fmt: skip


def measure(
    bank_dir: Path | None, repeats: int, data_dir: Path
) -> tuple[list[float], list[float], list[float], int]:
    inside, whole, bank = [], [], []
    questions = 0
    env = dict(os.environ, QUIZZER_DATA_DIR=str(data_dir))
    env.pop("QUIZZER_BANK", None)
    for _ in range(repeats):
        argv = [sys.executable, __file__, "--child"]
        if bank_dir is not None:
            argv += ["--bank", str(bank_dir)]
        t0 = time.perf_counter()
        out = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=True)
        whole.append(time.perf_counter() - t0)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if result["torch"]:
            raise SystemExit("the practice UI imported torch")
        inside.append(result["seconds"])
        bank.append(result["bank_s"])
        questions = result["questions"]
    return inside, whole, bank, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bank", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.bank)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generated = generate_bank(root)
        # A warm-up run, so that both cases see the same file cache and .pyc files.
        measure(None, 1, root / "data")
        rows = [
            ("bundled bank", None, 0.6),
            ("generated bank", generated, 1.5),
        ]
        print(
            f"{'bank':<16} {'questions':>9} {'load_bank s':>12} {'in process s':>13} "
            f"{'whole process s':>16}  target"
        )
        for name, bank_dir, target in rows:
            inside, whole, bank, n = measure(bank_dir, args.repeats, root / "data")
            med_in, med_whole = statistics.median(inside), statistics.median(whole)
            if med_whole < target:
                verdict = "met"
            else:
                verdict = "met in process" if med_in < target else "missed"
            print(
                f"{name:<16} {n:>9} {statistics.median(bank):>12.3f} {med_in:>13.3f} "
                f"{med_whole:>16.3f}  < {target} s: {verdict}"
            )


if __name__ == "__main__":
    main()

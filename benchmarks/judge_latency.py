"""Where a person waits for the judge: whole calls against `python -c "import torch"`,
all measured in the same run.

- torch: `python -c "import torch"` (the yardstick every ratio divides by);
- warm: `python -m quizzer judge REFERENCE --task simple-nn` while a judge service runs
  (client start included), and the judgement inside the service (the result's
  `timings.total_s`);
- cold: the same call with `--no-server` (one torch import on the critical path: the
  sandbox's warm parent imports it while the CLI does);
- syntax error: a file that does not parse, through the service (answered before any
  sandbox starts);
- watch: in the practice UI, driven by Textual's Pilot, from saving the file to the
  verdict, judged through the service (watch mode polls every 0.1 s), for a correct
  file and for one with a syntax error.

Targets (issue 14): warm <= 0.35x torch and the judgement <= 0.15 s; watch < 0.5 s;
cold <= 1.4x torch; syntax error < 0.2 s from save. Medians of `--repeats`. Run:

    .venv/bin/python benchmarks/judge_latency.py --repeats 5

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from quizzer.judge import client  # noqa: E402

TASK = "simple-nn"
REFERENCE = REPO / "questions" / "tasks" / TASK / "reference.py"


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    return time.perf_counter() - started, done


def median_of(repeats: int, argv: list[str], env: dict[str, str]) -> tuple[float, list]:
    times, outs = [], []
    for _ in range(repeats):
        took, done = timed(argv, env)
        times.append(took)
        outs.append(done)
    return statistics.median(times), outs


def watch_save_to_verdict(sock: Path, repeats: int) -> tuple[float, float]:
    """Median seconds from a save to the verdict on the coding screen, in watch mode:
    for a correct file, and for a file with a syntax error."""
    from quizzer.bank.loader import load_bank
    from quizzer.store import Store
    from quizzer.tui.app import QuizzerApp, make_app
    from quizzer.tui.screens.coding import CodingScreen

    work = Path(tempfile.mkdtemp(prefix="quizzer-watch-"))
    bank = load_bank()
    store = Store(work / "progress.sqlite3")
    subs = work / "submissions"
    subs.mkdir()
    target = subs / "simple_nn.py"
    shutil.copy(REFERENCE, target)
    finished: list[float] = []

    def hook(message: object) -> None:
        if isinstance(message, QuizzerApp.JudgeFinished):
            finished.append(time.perf_counter())

    app = make_app(bank, store, submissions_dir=subs, judge_server=sock, cursor_blink=False)
    took: list[float] = []

    async def main() -> None:
        async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
            await pilot.pause()
            await pilot.press("t")
            table = app.screen.query_one("#tasks")
            row = [str(k.value) for k in table.rows].index(TASK)
            await pilot.press(*["down"] * row, "enter")
            await pilot.pause()
            assert isinstance(app.screen, CodingScreen)
            while app.judge_service() is None:
                await pilot.pause(0.05)
            await pilot.press("w")  # watch: judges once now
            while not finished:
                await pilot.pause(0.02)
            for i in range(repeats):
                seen = len(finished)
                target.write_text(REFERENCE.read_text() + f"\n# save {i}\n")
                saved = time.perf_counter()
                while len(finished) == seen:
                    await pilot.pause(0.005)
                took.append(finished[-1] - saved)
            for i in range(repeats):  # a syntax error: answered before any sandbox
                seen = len(finished)
                target.write_text(f"class SimpleNN(:  # save {i}\n")
                saved = time.perf_counter()
                while len(finished) == seen:
                    await pilot.pause(0.005)
                broken.append(finished[-1] - saved)
                target.write_text(REFERENCE.read_text())
                while len(finished) == seen + 1:
                    await pilot.pause(0.005)

    broken: list[float] = []
    asyncio.run(main())
    store.close()
    shutil.rmtree(work, ignore_errors=True)
    return statistics.median(took), statistics.median(broken)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="quizzer-latency-"))
    sock = work / "judge.sock"
    env = {**os.environ, client.SOCKET_ENV: str(sock)}
    judge = [py, "-m", "quizzer", "judge", str(REFERENCE), "--task", TASK, "--seed", "1"]

    torch_s, _ = median_of(args.repeats, [py, "-c", "import torch"], env)
    cold_s, _ = median_of(max(3, args.repeats // 2), [*judge, "--no-server"], env)
    client.start(path=sock, idle_s=300)
    try:
        timed([*judge, "--json"], env)  # the service's first call pays its warm-up
        warm_s, outs = median_of(args.repeats, [*judge, "--json"], env)
        inside = statistics.median(json.loads(o.stdout)["timings"]["total_s"] for o in outs)
        bad = work / "bad.py"
        bad.write_text("import torch\nclass SimpleNN(torch.nn.Module:\n    pass\n")
        syntax_s, outs = median_of(args.repeats, [py, "-m", "quizzer", "judge", str(bad),
                                                  "--task", TASK], env)  # fmt: skip
        assert all("SyntaxError" in o.stdout for o in outs)
        watch_s, watch_syntax_s = watch_save_to_verdict(sock, args.repeats)
    finally:
        client.shutdown(sock)
    shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("python -c 'import torch'", torch_s, 1.0, ""),
        ("warm: quizzer judge (service running)", warm_s, warm_s / torch_s, "<= 0.35x"),
        ("  the judgement inside the service", inside, inside / torch_s, "<= 0.15 s"),
        ("cold: quizzer judge --no-server", cold_s, cold_s / torch_s, "<= 1.4x"),
        ("syntax error: quizzer judge (service)", syntax_s, syntax_s / torch_s, ""),
        ("watch mode: save to verdict (UI)", watch_s, watch_s / torch_s, "< 0.5 s"),
        (
            "watch mode: syntax error, save to verdict",
            watch_syntax_s,
            watch_syntax_s / torch_s,
            "< 0.2 s",
        ),
    ]
    print(f"{'what':<42} {'median s':>9} {'x torch':>8}  target")
    for name, seconds, ratio, target in rows:
        print(f"{name:<42} {seconds:>9.3f} {ratio:>8.2f}  {target}")


if __name__ == "__main__":
    main()

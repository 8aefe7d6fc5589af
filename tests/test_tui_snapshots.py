"""Snapshot tests of the main screens (pytest-textual-snapshot; the SVGs live in
tests/__snapshots__/). After a deliberate UI change, review and accept the new
pictures with `pytest tests/test_tui_snapshots.py --snapshot-update`.

Run as a script, the same scenarios write docs/screenshots/*.svg from the bundled
bank and the real judge:

    .venv/bin/python tests/test_tui_snapshots.py
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fsrs import Rating

sys.path.insert(0, str(Path(__file__).parent))
from test_tui_support import Rig, make_rig, wait_for

from quizzer.tui.app import QuizzerApp
from quizzer.tui.exam import ExamPlan
from quizzer.tui.session import Session

SIZE = (100, 34)
REPO = Path(__file__).resolve().parents[1]


def first_of(rig: Rig, qtype: str) -> str:
    return next(q.id for q in rig.bank.questions if q.type == qtype)


def history(rig: Rig) -> None:
    """A week of practice, so that home and stats have something to show."""
    concept = [q for q in rig.bank.questions if q.type != "coding"]
    for day in range(6, -1, -1):
        if day == 3:
            continue  # a gap, so the longest streak differs from the current one
        for i, q in enumerate(concept[day : day + 3]):
            rig.store.record_attempt(
                question_id=q.id, topic=q.topic, qtype=q.type, mode="practice", response=None,
                correct=(i + day) % 3 != 0, score=float((i + day) % 3 != 0),
                duration_ms=20_000 + 7_000 * i, rating=Rating.Good if i else Rating.Again,
                when=rig.clock.now() - timedelta(days=day, hours=i),
            )  # fmt: skip
    rig.store.toggle_bookmark(concept[0].id)


async def _open(app: QuizzerApp, pilot: Any, qid: str) -> None:
    app.open_session(Session("practice", "Practice", [qid]))
    await pilot.pause()


async def home(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    history(rig)
    await app.screen.refresh_view()


async def question(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    await _open(app, pilot, first_of(rig, "single_choice"))
    await pilot.press("h", "2")


async def feedback(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    await _open(app, pilot, first_of(rig, "multiple_choice"))
    rig.clock.advance(25)
    await pilot.press("1", "enter")


async def code_output(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    await _open(app, pilot, first_of(rig, "code_output"))


async def open_question(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    await _open(app, pilot, first_of(rig, "open"))
    await pilot.press("ctrl+s", "1")


async def coding(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    task = rig.bank.tasks()[0]
    submissions = app.submissions_dir
    submissions.mkdir(parents=True, exist_ok=True)
    # A known-bad variant that gets past loading, so there is a check list to see.
    variant = next(v for v in task.variants if v.fails_at != "load")
    broken = rig.bank.resolve(task.id, variant.path).read_text()
    (submissions / f"{task.id.replace('-', '_')}.py").write_text(broken)
    app.open_task(task)
    await pilot.pause()
    await pilot.press("j")
    screen = app.screen
    await wait_for(pilot, lambda: getattr(screen, "outcome", None) is not None, timeout=240)


def exam_plan(rig: Rig) -> ExamPlan:
    ids = [q.id for q in rig.bank.questions if q.type not in ("coding", "open")][:5]
    return ExamPlan("Practice exam", tuple(ids), 15 * 60)


async def exam(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    app.open_exam(exam_plan(rig))
    await pilot.pause()
    rig.clock.advance(100)
    await pilot.press("1", "enter")
    await app.screen.tick()


async def exam_result(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    app.open_exam(exam_plan(rig))
    await pilot.pause()
    for keys in (["1", "enter"], ["2", "enter"], ["1", "enter"]):
        rig.clock.advance(40)
        await pilot.press(*keys)
    await app.screen.finish()
    await pilot.pause()


async def stats(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    history(rig)
    await pilot.press("s")


async def home_zh_light(rig: Rig, app: QuizzerApp, pilot: Any) -> None:
    history(rig)
    await pilot.press("l", "ctrl+t")
    await pilot.pause()
    app.clear_notifications()


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: Callable[[Rig, QuizzerApp, Any], Awaitable[None]]


SCENARIOS = [
    Scenario("home", home),
    Scenario("question", question),
    Scenario("feedback", feedback),
    Scenario("code-output", code_output),
    Scenario("open-question", open_question),
    Scenario("coding", coding),
    Scenario("exam", exam),
    Scenario("exam-result", exam_result),
    Scenario("stats", stats),
    Scenario("home-zh-light", home_zh_light),
]


def build(rig: Rig, scenario: Scenario, **options: Any) -> tuple[QuizzerApp, Any]:
    app = rig.app(cursor_blink=False, **options)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        await scenario.steps(rig, pilot.app, pilot)
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    return app, run_before


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
@pytest.mark.slow
def test_main_screens_look_as_approved(scenario, snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # full paths on screen start with ~/
    monkeypatch.setenv("FAKE_JUDGE_PID", str(tmp_path / "judge.pids"))
    rig = make_rig(tmp_path)
    app, run_before = build(rig, scenario)
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        rig.store.close()


async def _screenshot(app: QuizzerApp, run_before: Any, rig: Rig, path: Path) -> None:
    async with app.run_test(size=SIZE, message_hook=rig.messages.append) as pilot:
        await run_before(pilot)
        await pilot.wait_for_scheduled_animations()
        app.save_screenshot(path.name, path=str(path.parent))


def save_docs_screenshots(target: Path = REPO / "docs" / "screenshots") -> list[Path]:
    """Every scenario on the bundled bank, judged by the real judge, as SVG."""
    import os
    import tempfile

    from test_tui_support import FakeClock

    from quizzer.bank.loader import load_bank
    from quizzer.store import Store
    from quizzer.tui.judging import default_command

    target.mkdir(parents=True, exist_ok=True)
    bank = load_bank()
    written = []
    for scenario in SCENARIOS:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            os.chdir(root)
            os.environ["HOME"] = str(root)  # the file's full path shows as ~/submissions/...
            rig = Rig(bank, Store(root / "p.sqlite3"), FakeClock(), root, [])
            app, run_before = build(rig, scenario, judge_command=default_command())

            asyncio.run(_screenshot(app, run_before, rig, target / f"{scenario.name}.svg"))
            written.append(target / f"{scenario.name}.svg")
            rig.store.close()
    return written


if __name__ == "__main__":
    for saved in save_docs_screenshots():
        print(saved.relative_to(REPO))

"""The stats screen: totals, streaks and charts drawn from the progress store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fsrs import Rating
from test_tui_support import drive
from textual.widgets import Sparkline, Static

from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.screens.stats import StatsScreen
from quizzer.tui.widgets.bars import BarChart, bar


def add(rig, qid, correct, days_ago, ms=30_000):
    q = rig.bank.get(qid)
    rig.store.record_attempt(
        question_id=qid, topic=q.topic, qtype=q.type, mode="practice", response=None,
        correct=correct, score=float(correct), duration_ms=ms, rating=Rating.Good,
        when=rig.clock.now() - timedelta(days=days_ago),
    )  # fmt: skip


def test_stats_show_totals_streaks_and_charts(rig):
    add(rig, "pick-one", True, 0)
    add(rig, "count-params", False, 0)
    add(rig, "true-or-false", True, 1)
    add(rig, "pick-many", True, 5)

    async def scenario(app, pilot):
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        summary = str(screen.query_one("#stats-summary", Static).content)
        assert summary == "4 answers · 75% right · 2:00 spent · 4 questions seen"
        streak = str(screen.query_one("#stats-streak", Static).content)
        assert streak == "Streak 2 day(s), longest 2"
        activity = screen.query_one("#activity", Sparkline)
        assert len(activity.data) == 30 and activity.data[-1] == 2 and activity.data[-6] == 1
        topics = screen.query_one("#accuracy-per-topic", BarChart)
        assert [(r[0], r[2]) for r in topics.rows] == [
            ("basics", "100% (3/3)"),
            ("modules", "0% (0/1)"),
        ]
        per_day = screen.query_one("#accuracy-per-day", BarChart)
        assert per_day.rows[-1][2] == "50% (2)"
        minutes = screen.query_one("#minutes-per-day", BarChart)
        assert minutes.rows[-1][1] == pytest.approx(1.0)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

    drive(rig, scenario)


def test_stats_with_no_answers_say_so(rig):
    async def scenario(app, pilot):
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query("#stats-none")

    drive(rig, scenario)


@pytest.mark.parametrize(("fraction", "width", "expected"), [
    (0.0, 4, "    "), (1.0, 4, "████"), (0.5, 4, "██  "), (0.3, 4, "█▎  "),
    (0.26, 4, "█   "), (2.0, 2, "██"),
])  # fmt: skip
def test_bars_are_drawn_to_an_eighth_of_a_cell(fraction, width, expected):
    assert bar(fraction, width) == expected

"""The stats screen: totals and streaks in one line each, then charts to look at
rather than read: answers per day (a sparkline), accuracy per day and per topic,
minutes per day, and the reviews coming up. Opened from home (s) or the palette."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from quizzer.store import stats
from quizzer.tui.base import LocalScreen
from quizzer.tui.i18n import duration, topic_name
from quizzer.tui.widgets.bars import BarChart


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


class StatsScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "key.back")]

    def __init__(self) -> None:
        super().__init__(id="stats")

    def screen_title(self) -> str:
        return self.t("stats.title")

    def compose_body(self) -> ComposeResult:
        app = self.qapp
        store, now, tz = app.store, app.now(), app.tz
        total = stats.summary(store)
        streak = stats.streaks(store, now=now, tz=tz)
        with VerticalScroll(id="stats-body"):
            yield Static(
                self.t(
                    "stats.summary",
                    attempts=total.attempts,
                    acc=pct(total.accuracy),
                    time=duration(total.seconds),
                    seen=total.questions_seen,
                ),
                id="stats-summary",
                markup=False,
            )
            yield Static(
                self.t("stats.streak", current=streak.current, longest=streak.longest),
                id="stats-streak",
                markup=False,
            )
            yield Static(
                self.t("stats.more", tasks=total.tasks_passed, exams=total.exams), markup=False
            )
            if total.attempts == 0:
                yield Static(self.t("stats.none"), id="stats-none", classes="dim")
            month = stats.daily(store, days=30, now=now, tz=tz)
            yield Static(self.t("stats.activity"), classes="heading")
            yield Sparkline([d.attempts for d in month], id="activity")
            fortnight = month[-14:]
            yield Static(self.t("stats.accuracy"), classes="heading")
            yield BarChart(
                [
                    (
                        d.day.strftime("%m-%d"),
                        d.accuracy or 0.0,
                        f"{pct(d.accuracy)} ({d.attempts})",
                    )
                    for d in fortnight
                ],
                maximum=1.0,
                id="accuracy-per-day",
            )
            yield Static(self.t("stats.topics"), classes="heading")
            yield BarChart(
                [
                    (
                        topic_name(t.topic, self.lang),
                        t.accuracy or 0.0,
                        f"{pct(t.accuracy)} ({t.correct}/{t.attempts})",
                    )
                    for t in stats.topic_stats(store).values()
                ],
                maximum=1.0,
                style="cyan",
                id="accuracy-per-topic",
            )
            yield Static(self.t("stats.time"), classes="heading")
            yield BarChart(
                [
                    (d.day.strftime("%m-%d"), d.seconds / 60, f"{d.seconds / 60:.1f}")
                    for d in fortnight
                ],
                style="magenta",
                id="minutes-per-day",
            )
            yield Static(self.t("stats.forecast"), classes="heading")
            yield BarChart(
                [
                    (day.strftime("%m-%d"), n, str(n))
                    for day, n in stats.due_forecast(store, now=now, tz=tz)
                ],
                style="yellow",
                id="forecast",
            )

    def action_back(self) -> None:
        self.dismiss()

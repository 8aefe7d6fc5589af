"""Read-only summaries of the progress database for the home and stats screens:
accuracy per topic, activity per day, streaks, time spent, reviews coming up.

Called by `quizzer.tui` screens. Days are calendar days in the time zone given
(the local one by default), so a streak follows the learner's own midnight.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from itertools import pairwise

from quizzer.store import srs
from quizzer.store.db import Store, utcnow


@dataclass(frozen=True)
class TopicStats:
    topic: str
    attempts: int
    correct: int
    answered: int  # distinct questions answered at least once

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempts if self.attempts else None


@dataclass(frozen=True)
class DayStats:
    day: date
    attempts: int
    correct: int
    seconds: float

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempts if self.attempts else None


@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int


@dataclass(frozen=True)
class Summary:
    attempts: int
    correct: int
    seconds: float
    questions_seen: int
    tasks_passed: int
    exams: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempts if self.attempts else None


def _local(when_iso: str, tz: tzinfo | None) -> datetime:
    moment = datetime.fromisoformat(when_iso)
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def topic_stats(store: Store) -> dict[str, TopicStats]:
    rows = store.query(
        "SELECT topic, COUNT(*), SUM(correct), COUNT(DISTINCT question_id) "
        "FROM attempts GROUP BY topic ORDER BY topic"
    )
    return {t: TopicStats(t, int(n), int(c or 0), int(d)) for t, n, c, d in rows}


def question_accuracy(store: Store) -> dict[str, tuple[int, int]]:
    """question id -> (attempts, correct)."""
    rows = store.query("SELECT question_id, COUNT(*), SUM(correct) FROM attempts GROUP BY 1")
    return {q: (int(n), int(c or 0)) for q, n, c in rows}


def daily(
    store: Store, *, days: int = 14, now: datetime | None = None, tz: tzinfo | None = None
) -> list[DayStats]:
    """One entry per calendar day for the last `days` days, oldest first, today last."""
    now = now or utcnow()
    today = _local(srs.iso(now), tz).date()
    first = today - timedelta(days=days - 1)
    # A day's margin either side of the UTC window; the exact cut is made in Python.
    since = srs.iso(now - timedelta(days=days + 1))
    rows = store.query(
        "SELECT created_at, correct, duration_ms FROM attempts WHERE created_at >= ?", (since,)
    )
    attempts: Counter[date] = Counter()
    correct: Counter[date] = Counter()
    millis: Counter[date] = Counter()
    for created, ok, duration in rows:
        day = _local(created, tz).date()
        attempts[day] += 1
        correct[day] += int(ok)
        millis[day] += int(duration)
    return [
        DayStats(d, attempts[d], correct[d], millis[d] / 1000)
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def streaks(store: Store, *, now: datetime | None = None, tz: tzinfo | None = None) -> Streaks:
    """Consecutive days with at least one answer. The current streak still counts
    when today has no answer yet but yesterday has."""
    days = sorted({_local(r[0], tz).date() for r in store.query("SELECT created_at FROM attempts")})
    if not days:
        return Streaks(0, 0)
    longest = run = 1
    for before, after in pairwise(days):
        run = run + 1 if (after - before).days == 1 else 1
        longest = max(longest, run)
    today = _local(srs.iso(now or utcnow()), tz).date()
    current = 0
    if days[-1] >= today - timedelta(days=1):
        current = 1
        for after, before in pairwise(reversed(days)):
            if (after - before).days != 1:
                break
            current += 1
    return Streaks(current, longest)


def summary(store: Store) -> Summary:
    n, c, ms, seen = store.query(
        "SELECT COUNT(*), SUM(correct), SUM(duration_ms), COUNT(DISTINCT question_id) FROM attempts"
    )[0]
    tasks = store.query("SELECT COUNT(DISTINCT task_id) FROM task_results WHERE status = 'pass'")
    exams = store.query("SELECT COUNT(*) FROM exams")
    return Summary(
        attempts=int(n),
        correct=int(c or 0),
        seconds=int(ms or 0) / 1000,
        questions_seen=int(seen),
        tasks_passed=int(tasks[0][0]),
        exams=int(exams[0][0]),
    )


def due_forecast(
    store: Store, *, days: int = 7, now: datetime | None = None, tz: tzinfo | None = None
) -> list[tuple[date, int]]:
    """How many reviews fall due on each of the next `days` days; today includes
    everything already overdue."""
    now = now or utcnow()
    today = _local(srs.iso(now), tz).date()
    counts: Counter[date] = Counter()
    for (due,) in store.query("SELECT due FROM cards"):
        counts[max(_local(due, tz).date(), today)] += 1
    return [(today + timedelta(days=i), counts[today + timedelta(days=i)]) for i in range(days)]

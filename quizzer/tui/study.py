"""The learner's study settings (desired retention, new questions and reviews a day)
and the day's counts they are measured against. Plain data over the progress store;
no widgets. The home screen shows the counts, the settings dialog edits the settings,
and `quizzer.tui.session` builds sessions within the day's limits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from quizzer.store import Store, srs

SETTING = "study"
RETENTION_RANGE = (0.7, 0.99)
LIMIT_RANGE = (0, 9999)


@dataclass(frozen=True)
class StudySettings:
    """FSRS's desired retention and the daily limits (0: none today)."""

    retention: float = srs.DEFAULT_RETENTION
    new_per_day: int = 20
    reviews_per_day: int = 200

    @classmethod
    def load(cls, store: Store) -> StudySettings:
        """The saved settings; a value out of range (a hand-edited store) falls back
        to its default."""
        data = store.get_setting(SETTING)
        if not isinstance(data, dict):
            return cls()
        made = cls()
        retention = data.get("retention")
        if isinstance(retention, (int, float)) and within(float(retention), RETENTION_RANGE):
            made = cls(float(retention), made.new_per_day, made.reviews_per_day)
        for name in ("new_per_day", "reviews_per_day"):
            value = data.get(name)
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and within(value, LIMIT_RANGE)
            ):
                made = cls(**{**asdict(made), name: value})
        return made

    def save(self, store: Store) -> None:
        store.set_setting(SETTING, asdict(self))


def within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def local_day_start(now: datetime, tz: tzinfo | None) -> datetime:
    """Midnight today in the learner's time zone (`tz`; None: the machine's)."""
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Today:
    """What the learner did today: questions seen for the first time, and reviews of
    questions seen before."""

    new: int
    reviews: int


def today(store: Store, now: datetime, tz: tzinfo | None) -> Today:
    start = srs.iso(local_day_start(now, tz))
    rows: list[Any] = store.query(
        "SELECT question_id, MIN(reviewed_at) >= ?, SUM(reviewed_at >= ?) "
        "FROM reviews GROUP BY question_id HAVING SUM(reviewed_at >= ?) > 0",
        (start, start, start),
    )
    new = sum(1 for _, first_today, _ in rows if first_today)
    reviews = sum(int(n) - (1 if first_today else 0) for _, first_today, n in rows)
    return Today(new=new, reviews=reviews)


def left_today(settings: StudySettings, done: Today) -> tuple[int, int]:
    """(new questions, reviews) the day's limits still allow."""
    return (
        max(0, settings.new_per_day - done.new),
        max(0, settings.reviews_per_day - done.reviews),
    )


def end_of_tomorrow(now: datetime, tz: tzinfo | None) -> datetime:
    """Midnight after tomorrow, in the learner's time zone."""
    return local_day_start(now, tz) + timedelta(days=2)


def end_of_today(now: datetime, tz: tzinfo | None) -> datetime:
    return local_day_start(now, tz) + timedelta(days=1)


SUSPENDED = "suspended"
#: A question answered "again" this many times is a leech: flagged in the browser,
#: since more of the same reviews rarely help; rewrite or study it another way.
LEECH_LAPSES = 4


def suspended(store: Store) -> set[str]:
    """Questions the learner suspended: in no session until unsuspended."""
    data = store.get_setting(SUSPENDED)
    return {q for q in data if isinstance(q, str)} if isinstance(data, list) else set()


def toggle_suspended(store: Store, question_id: str) -> bool:
    """Suspend or unsuspend; returns whether it is suspended now."""
    now = suspended(store)
    now ^= {question_id}
    store.set_setting(SUSPENDED, sorted(now))
    return question_id in now


def lapses(store: Store) -> dict[str, int]:
    """question id -> how many times it was rated "again"."""
    rows = store.query("SELECT question_id, COUNT(*) FROM reviews WHERE rating = 1 GROUP BY 1")
    return {str(q): int(n) for q, n in rows}


def leeches(store: Store) -> set[str]:
    return {q for q, n in lapses(store).items() if n >= LEECH_LAPSES}

"""`Store`: the SQLite progress database and every write to it.

Each public write is one transaction (`BEGIN IMMEDIATE ... COMMIT`), so a process
killed at any moment leaves either the whole answer (attempt, hints, review schedule)
or none of it. The practice UI and `quizzer progress` open it through `open_store`.
Reads for the stats screen live in `quizzer.store.stats`; JSON export/import in
`quizzer.store.transfer`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fsrs import Card, Rating

from quizzer.errors import UsageError
from quizzer.store import srs
from quizzer.store.paths import default_db_path
from quizzer.store.schema import SCHEMA_VERSION, migrate, version_of

#: Modes an attempt can be recorded in.
MODES = ("practice", "review", "learn", "exam")


class ProgressError(UsageError):
    """The progress database or a progress file cannot be used as it is."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_uid() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class AttemptResult:
    """What `record_attempt` wrote: the attempt's uid and, when scheduled, the
    rating and the next due date."""

    uid: str
    rating: Rating | None
    due: datetime | None


class Store:
    """One open progress database. Not thread-safe: use it from one thread."""

    def __init__(self, path: Path | str, *, scheduler: Any = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        target = str(path)
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProgressError(
                    f"cannot create the progress directory {self.path.parent}: "
                    f"{exc.strerror}; set QUIZZER_DATA_DIR to a writable directory"
                ) from exc
        try:
            self._conn = sqlite3.connect(target, isolation_level=None, timeout=10.0)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            found = version_of(self._conn)
        except sqlite3.DatabaseError as exc:
            raise ProgressError(
                f"{target} is not a usable progress database ({exc}); move it away "
                "(quizzer starts a new one) or restore it from `quizzer progress export`"
            ) from exc
        if found > SCHEMA_VERSION:
            self._conn.close()
            raise ProgressError(
                f"{target} has progress schema version {found}, but this quizzer knows "
                f"versions up to {SCHEMA_VERSION}; upgrade quizzer, or set "
                "QUIZZER_DATA_DIR to another directory"
            )
        self.migrated = migrate(self._conn)
        self.scheduler = scheduler if scheduler is not None else srs.make_scheduler()

    # --- plumbing ---------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return version_of(self._conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: the writes inside commit together or not at all."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()

    def query(self, sql: str, params: tuple[Any, ...] | Mapping[str, Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    def dicts(
        self, sql: str, params: tuple[Any, ...] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        cursor = self._conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- settings ---------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def settings(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.query("SELECT key, value FROM settings")}

    # --- answers ----------------------------------------------------------------

    def record_hint(self, question_id: str, tier: int, *, when: datetime | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO hints (uid, question_id, tier, created_at) VALUES (?, ?, ?, ?)",
                (new_uid(), question_id, tier, srs.iso(when or utcnow())),
            )

    def record_attempt(
        self,
        *,
        question_id: str,
        topic: str,
        qtype: str,
        mode: str,
        response: Any,
        correct: bool,
        score: float,
        hints_used: int = 0,
        duration_ms: int = 0,
        rating: Rating | None = None,
        when: datetime | None = None,
    ) -> AttemptResult:
        """Record one answer. With a `rating`, the question's review schedule moves
        on in the same transaction."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        when = when or utcnow()
        uid = new_uid()
        due: datetime | None = None
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO attempts (uid, question_id, topic, qtype, mode, response, "
                "correct, score, hints_used, duration_ms, rating, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    uid,
                    question_id,
                    topic,
                    qtype,
                    mode,
                    json.dumps(response),
                    int(correct),
                    float(score),
                    hints_used,
                    duration_ms,
                    None if rating is None else int(rating),
                    srs.iso(when),
                ),
            )
            if rating is not None:
                card = self._card(conn, question_id) or srs.new_card(question_id)
                done = srs.schedule(self.scheduler, card, rating, when, duration_ms)
                conn.execute(
                    "INSERT INTO cards (question_id, card, due, last_review) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (question_id) DO UPDATE SET card = excluded.card, "
                    "due = excluded.due, last_review = excluded.last_review",
                    (question_id, done.card_json, done.due, done.last_review),
                )
                conn.execute(
                    "INSERT INTO reviews (uid, question_id, rating, duration_ms, reviewed_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (new_uid(), question_id, int(rating), duration_ms, srs.iso(when)),
                )
                due = done.card.due
        return AttemptResult(uid=uid, rating=rating, due=due)

    def attempts(self, question_id: str | None = None) -> list[dict[str, Any]]:
        if question_id is None:
            return self.dicts("SELECT * FROM attempts ORDER BY id")
        return self.dicts(
            "SELECT * FROM attempts WHERE question_id = ? ORDER BY id", (question_id,)
        )

    def hints_used(self, question_id: str) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM hints WHERE question_id = ?", (question_id,)
        ).fetchone()
        return int(row[0])

    # --- review schedule --------------------------------------------------------

    @staticmethod
    def _card(conn: sqlite3.Connection, question_id: str) -> Card | None:
        row = conn.execute(
            "SELECT card FROM cards WHERE question_id = ?", (question_id,)
        ).fetchone()
        return None if row is None else srs.card_from_json(row[0])

    def card(self, question_id: str) -> Card | None:
        return self._card(self._conn, question_id)

    def due_ids(self, now: datetime | None = None) -> list[str]:
        """Questions due for review at `now`, the most overdue first."""
        rows = self.query(
            "SELECT question_id FROM cards WHERE due <= ? ORDER BY due, question_id",
            (srs.iso(now or utcnow()),),
        )
        return [r[0] for r in rows]

    def scheduled_ids(self) -> set[str]:
        """Questions that have a review schedule (learnt at least once)."""
        return {r[0] for r in self.query("SELECT question_id FROM cards")}

    # --- bookmarks --------------------------------------------------------------

    def toggle_bookmark(self, question_id: str, *, when: datetime | None = None) -> bool:
        """Bookmark or un-bookmark; returns whether it is bookmarked now."""
        with self.transaction() as conn:
            gone = conn.execute(
                "DELETE FROM bookmarks WHERE question_id = ?", (question_id,)
            ).rowcount
            if not gone:
                conn.execute(
                    "INSERT INTO bookmarks (question_id, created_at) VALUES (?, ?)",
                    (question_id, srs.iso(when or utcnow())),
                )
        return not gone

    def bookmarks(self) -> set[str]:
        return {r[0] for r in self.query("SELECT question_id FROM bookmarks")}

    # --- coding tasks and exams -------------------------------------------------

    def record_task_result(
        self,
        task_id: str,
        path: str,
        status: str,
        message: str = "",
        *,
        when: datetime | None = None,
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO task_results (uid, task_id, path, status, message, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (new_uid(), task_id, path, status, message, srs.iso(when or utcnow())),
            )

    def task_passed(self, task_id: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM task_results WHERE task_id = ? AND status = 'pass' LIMIT 1", (task_id,)
        ).fetchone()
        return row is not None

    def task_status(self, task_id: str) -> str | None:
        """The status of the latest judged run of a task, if any."""
        row = self._conn.execute(
            "SELECT status FROM task_results WHERE task_id = ? ORDER BY id DESC LIMIT 1",
            (task_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def record_exam(
        self,
        *,
        title: str,
        started_at: datetime,
        finished_at: datetime,
        time_limit_s: int,
        score: float,
        max_score: float,
        answers: list[dict[str, Any]],
    ) -> str:
        """Record a finished exam and, in the same transaction, each of its answers
        as an attempt in mode "exam" (exams do not move the review schedule)."""
        uid = new_uid()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO exams (uid, title, started_at, finished_at, time_limit_s, score, "
                "max_score, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    uid,
                    title,
                    srs.iso(started_at),
                    srs.iso(finished_at),
                    time_limit_s,
                    score,
                    max_score,
                    json.dumps(answers),
                ),
            )
            for answer in answers:
                conn.execute(
                    "INSERT INTO attempts (uid, question_id, topic, qtype, mode, response, "
                    "correct, score, hints_used, duration_ms, rating, created_at) "
                    "VALUES (?, ?, ?, ?, 'exam', ?, ?, ?, 0, ?, NULL, ?)",
                    (
                        new_uid(),
                        answer["question_id"],
                        answer["topic"],
                        answer["type"],
                        json.dumps(answer.get("response")),
                        int(bool(answer["correct"])),
                        float(answer["score"]),
                        int(answer.get("duration_ms", 0)),
                        srs.iso(finished_at),
                    ),
                )
        return uid

    def exams(self) -> list[dict[str, Any]]:
        return self.dicts("SELECT * FROM exams ORDER BY id")

    # --- all of it --------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: answers, schedule, bookmarks, results and settings."""
        with self.transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")


#: Every table that holds progress, in an order that export/import/reset follow.
TABLES = ("settings", "attempts", "hints", "cards", "reviews", "bookmarks", "task_results", "exams")


def open_store(path: Path | str | None = None, *, env: Mapping[str, str] | None = None) -> Store:
    """Open (creating and migrating as needed) the progress database at `path`, or
    at the default location (`$QUIZZER_DATA_DIR` or the user data directory)."""
    return Store(path if path is not None else default_db_path(env))

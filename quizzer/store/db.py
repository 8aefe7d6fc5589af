"""`Store`: the SQLite progress database and every write to it.

Each public write is one transaction (`BEGIN IMMEDIATE ... COMMIT`), so a process
killed at any moment leaves either the whole answer (attempt, hints, review schedule)
or none of it. The practice UI and `quizzer progress` open it through `open_store`.
A damaged database (found by the check at open, or by any later operation) is kept
aside and rebuilt from what can be read (`quizzer.store.recover`); `Store.recovery`
says what happened. Closing a sound database refreshes its last good copy.
Reads for the stats screen live in `quizzer.store.stats`; JSON export/import in
`quizzer.store.transfer`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from fsrs import Card, Rating

from quizzer.errors import UsageError
from quizzer.store import damage, srs
from quizzer.store.paths import default_db_path
from quizzer.store.schema import SCHEMA_VERSION, migrate, version_of

if TYPE_CHECKING:
    from quizzer.store.recover import Recovery

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
    rating and the next due date, and what `rerate_attempt` and `undo_attempt` need
    to change that answer's effect: the schedule before it and its review row."""

    uid: str
    rating: Rating | None
    due: datetime | None
    question_id: str = ""
    #: The question's review schedule (card JSON) before this answer; None: it had none.
    card_before: str | None = None
    review_uid: str | None = None
    when: datetime | None = None
    duration_ms: int = 0


P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Damage that an operation runs into (a broken page the check at open missed, or
    damage done while the store was open) rebuilds the database as at open; the
    operation then runs once more, on the rebuilt database."""

    @functools.wraps(method)
    def guarded(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._depth:  # inside another store operation: that one rebuilds
            return method(self, *args, **kwargs)
        self._depth += 1
        try:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:
                if not self._rebuild_after(exc):
                    raise
            return method(self, *args, **kwargs)
        finally:
            self._depth -= 1

    return guarded


class Store:
    """One open progress database. Not thread-safe: use it from one thread.

    `recover=False` refuses a damaged database instead of rebuilding it; `backup=False`
    writes no last good copy on close."""

    def __init__(
        self,
        path: Path | str,
        *,
        scheduler: Any = None,
        recover: bool = True,
        backup: bool = True,
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        target = str(path)
        #: What was done about a damaged database, or None. `quizzer progress` prints
        #: its `message`; the practice UI shows it as a notification.
        self.recovery: Recovery | None = None
        self._recover = recover
        self._backup = backup
        self._depth = 0
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProgressError(
                    f"cannot create the progress directory {self.path.parent}: "
                    f"{exc.strerror}; set QUIZZER_DATA_DIR to a writable directory"
                ) from exc
        problem = self._connect(target)
        if problem is not None:
            if not (recover and self.path is not None):
                self._conn.close()
                raise ProgressError(f"{target} is damaged ({problem}); {damage.RESTORE_ADVICE}")
            self._rebuild(problem)
        found = version_of(self._conn)
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

    def _connect(self, target: str) -> str | None:
        """Open the connection; returns what is damaged about the database, if anything."""
        self._conn = sqlite3.connect(":memory:")  # replaced below; closable if that fails
        try:
            self._conn = sqlite3.connect(target, isolation_level=None, timeout=10.0)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            version_of(self._conn)
            return None if self.path is None else damage.problem(self._conn)
        except sqlite3.DatabaseError as exc:
            if damage.is_damage(exc):
                return str(exc)
            self._conn.close()
            raise ProgressError(
                f"{target} is not a usable progress database ({exc}); {damage.RESTORE_ADVICE}"
            ) from exc

    def _rebuild(self, problem: str) -> None:
        from quizzer.store.recover import keep_copy, rebuild

        assert self.path is not None
        try:
            kept = keep_copy(self.path, problem)
        finally:
            self._conn.close()
        self.recovery = rebuild(self.path, problem, kept)
        still = self._connect(str(self.path))
        if still is not None:
            self._conn.close()
            raise ProgressError(
                f"{self.path} is damaged even after rebuilding it ({still}); "
                + damage.RESTORE_ADVICE
            )

    def _rebuild_after(self, exc: sqlite3.DatabaseError) -> bool:
        """Rebuild when `exc` says the database is damaged; returns whether it did."""
        if not (damage.is_damage(exc) and self._recover and self.path is not None):
            return False
        self._rebuild(str(exc))
        return True

    @property
    def schema_version(self) -> int:
        return version_of(self._conn)

    def close(self) -> None:
        if self._backup and self.path is not None:
            try:
                sound = damage.problem(self._conn) is None
            except sqlite3.Error:
                sound = False  # closed already, or locked: keep the previous copy
            if sound:
                damage.write_backup(self._conn, self.path)
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: the writes inside commit together or not at all. Damage
        found here rebuilds the database, and the writes are lost (ProgressError)."""
        outer = self._depth == 0
        self._depth += 1
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()
        except sqlite3.DatabaseError as exc:
            if not (outer and self._rebuild_after(exc)):
                raise
            assert self.recovery is not None
            raise ProgressError(
                f"{self.recovery.message} What was being saved was not; do it again."
            ) from exc
        finally:
            self._depth -= 1

    @_guarded
    def query(self, sql: str, params: tuple[Any, ...] | Mapping[str, Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    @_guarded
    def dicts(
        self, sql: str, params: tuple[Any, ...] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        cursor = self._conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- settings ---------------------------------------------------------------

    @_guarded
    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    @_guarded
    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    @_guarded
    def settings(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.query("SELECT key, value FROM settings")}

    # --- answers ----------------------------------------------------------------

    @_guarded
    def record_hint(self, question_id: str, tier: int, *, when: datetime | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO hints (uid, question_id, tier, created_at) VALUES (?, ?, ?, ?)",
                (new_uid(), question_id, tier, srs.iso(when or utcnow())),
            )

    @_guarded
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
        before: str | None = None
        review_uid: str | None = None
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
                row = conn.execute(
                    "SELECT card FROM cards WHERE question_id = ?", (question_id,)
                ).fetchone()
                before = None if row is None else str(row[0])
                review_uid = new_uid()
                due = self._schedule(conn, question_id, before, rating, when, duration_ms)
                conn.execute(
                    "INSERT INTO reviews (uid, question_id, rating, duration_ms, reviewed_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (review_uid, question_id, int(rating), duration_ms, srs.iso(when)),
                )
        return AttemptResult(
            uid=uid,
            rating=rating,
            due=due,
            question_id=question_id,
            card_before=before,
            review_uid=review_uid,
            when=when,
            duration_ms=duration_ms,
        )

    def _schedule(
        self,
        conn: sqlite3.Connection,
        question_id: str,
        before: str | None,
        rating: Rating,
        when: datetime,
        duration_ms: int,
    ) -> datetime:
        """Move the question's schedule on from `before` (card JSON; None: a new card)."""
        card = srs.card_from_json(before) if before is not None else srs.new_card(question_id)
        done = srs.schedule(self.scheduler, card, rating, when, duration_ms)
        conn.execute(
            "INSERT INTO cards (question_id, card, due, last_review) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (question_id) DO UPDATE SET card = excluded.card, "
            "due = excluded.due, last_review = excluded.last_review",
            (question_id, done.card_json, done.due, done.last_review),
        )
        return done.card.due

    @_guarded
    def rerate_attempt(self, done: AttemptResult, rating: Rating) -> AttemptResult:
        """Schedule an answer again with the learner's own rating instead of the one
        it was given (the attempt and its review row say the new rating). Only for the
        question's latest scheduled answer: its schedule starts again from before it."""
        if done.review_uid is None or done.when is None:
            raise ValueError("only a scheduled answer can be rated again")
        with self.transaction() as conn:
            due = self._schedule(
                conn, done.question_id, done.card_before, rating, done.when, done.duration_ms
            )
            conn.execute("UPDATE attempts SET rating = ? WHERE uid = ?", (int(rating), done.uid))
            conn.execute(
                "UPDATE reviews SET rating = ? WHERE uid = ?", (int(rating), done.review_uid)
            )
        return replace(done, rating=rating, due=due)

    @_guarded
    def undo_attempt(self, done: AttemptResult) -> None:
        """Take an answer back: the attempt and its review go, and the question's
        schedule is what it was before (none, for a question seen the first time)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM attempts WHERE uid = ?", (done.uid,))
            if done.review_uid is None:
                return
            conn.execute("DELETE FROM reviews WHERE uid = ?", (done.review_uid,))
            if done.card_before is None:
                conn.execute("DELETE FROM cards WHERE question_id = ?", (done.question_id,))
                return
            card = srs.card_from_json(done.card_before)
            last = card.last_review
            conn.execute(
                "UPDATE cards SET card = ?, due = ?, last_review = ? WHERE question_id = ?",
                (
                    done.card_before,
                    srs.iso(card.due),
                    None if last is None else srs.iso(last),
                    done.question_id,
                ),
            )

    @_guarded
    def attempts(self, question_id: str | None = None) -> list[dict[str, Any]]:
        if question_id is None:
            return self.dicts("SELECT * FROM attempts ORDER BY id")
        return self.dicts(
            "SELECT * FROM attempts WHERE question_id = ? ORDER BY id", (question_id,)
        )

    @_guarded
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

    @_guarded
    def card(self, question_id: str) -> Card | None:
        return self._card(self._conn, question_id)

    @_guarded
    def due_ids(self, now: datetime | None = None) -> list[str]:
        """Questions due for review at `now`, the most overdue first."""
        rows = self.query(
            "SELECT question_id FROM cards WHERE due <= ? ORDER BY due, question_id",
            (srs.iso(now or utcnow()),),
        )
        return [r[0] for r in rows]

    @_guarded
    def scheduled_ids(self) -> set[str]:
        """Questions that have a review schedule (learnt at least once)."""
        return {r[0] for r in self.query("SELECT question_id FROM cards")}

    # --- bookmarks --------------------------------------------------------------

    @_guarded
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

    @_guarded
    def bookmarks(self) -> set[str]:
        return {r[0] for r in self.query("SELECT question_id FROM bookmarks")}

    # --- coding tasks and exams -------------------------------------------------

    @_guarded
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

    @_guarded
    def task_passed(self, task_id: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM task_results WHERE task_id = ? AND status = 'pass' LIMIT 1", (task_id,)
        ).fetchone()
        return row is not None

    @_guarded
    def task_status(self, task_id: str) -> str | None:
        """The status of the latest judged run of a task, if any."""
        row = self._conn.execute(
            "SELECT status FROM task_results WHERE task_id = ? ORDER BY id DESC LIMIT 1",
            (task_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    @_guarded
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

    @_guarded
    def exams(self) -> list[dict[str, Any]]:
        return self.dicts("SELECT * FROM exams ORDER BY id")

    # --- all of it --------------------------------------------------------------

    @_guarded
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

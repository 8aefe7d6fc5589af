"""Progress as a JSON document, for moving between machines and for backups.

`export_progress` writes every table; `import_progress` validates a document (every
problem is named with its JSON path) and then merges it, or replaces what is there,
in one transaction. Called by `quizzer progress export/import/reset`.

Merging is idempotent: answers, hints, reviews, task results and exams carry a `uid`
and are added once; a review schedule is taken when its last review is newer; a
bookmark is added; a setting is taken only where this machine has none.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quizzer.store import srs
from quizzer.store.db import TABLES, ProgressError, Store, utcnow
from quizzer.store.schema import SCHEMA_VERSION

FORMAT = "quizzer-progress"
FORMAT_VERSION = 1

Stamp = Annotated[str, Field(min_length=10)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"time without a time zone: {value!r}")
    return srs.iso(moment)


class AttemptRow(_Row):
    uid: str
    question_id: str
    topic: str
    qtype: str
    mode: Literal["practice", "review", "learn", "exam"]
    response: Any = None
    correct: bool
    score: Annotated[float, Field(ge=0, le=1)]
    hints_used: Annotated[int, Field(ge=0)] = 0
    duration_ms: Annotated[int, Field(ge=0)] = 0
    rating: Annotated[int, Field(ge=1, le=4)] | None = None
    created_at: Stamp

    _t = field_validator("created_at")(_check_time)


class HintRow(_Row):
    uid: str
    question_id: str
    tier: Annotated[int, Field(ge=1)]
    created_at: Stamp

    _t = field_validator("created_at")(_check_time)


class CardRow(_Row):
    question_id: str
    card: dict[str, Any]
    due: Stamp
    last_review: str | None = None

    _t = field_validator("due")(_check_time)

    @field_validator("card")
    @classmethod
    def _card_loads(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            srs.card_from_json(json.dumps(value))
        except KeyError as exc:
            raise ValueError(f"not an FSRS card: missing key {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not an FSRS card: {exc}") from exc
        return value


class ReviewRow(_Row):
    uid: str
    question_id: str
    rating: Annotated[int, Field(ge=1, le=4)]
    duration_ms: Annotated[int, Field(ge=0)] = 0
    reviewed_at: Stamp

    _t = field_validator("reviewed_at")(_check_time)


class BookmarkRow(_Row):
    question_id: str
    created_at: Stamp


class TaskResultRow(_Row):
    uid: str
    task_id: str
    path: str
    status: Literal["pass", "fail", "error"]
    message: str = ""
    created_at: Stamp


class ExamRow(_Row):
    uid: str
    title: str
    started_at: Stamp
    finished_at: Stamp
    time_limit_s: Annotated[int, Field(ge=0)]
    score: float
    max_score: float
    answers: list[dict[str, Any]]


class ProgressDocument(_Row):
    format: Literal["quizzer-progress"]
    version: Literal[1]
    exported_at: str = ""
    schema_version: int = SCHEMA_VERSION
    settings: dict[str, Any] = {}
    attempts: list[AttemptRow] = []
    hints: list[HintRow] = []
    cards: list[CardRow] = []
    reviews: list[ReviewRow] = []
    bookmarks: list[BookmarkRow] = []
    task_results: list[TaskResultRow] = []
    exams: list[ExamRow] = []


def _rows(store: Store, table: str, order: str) -> list[dict[str, Any]]:
    return store.dicts(f"SELECT * FROM {table} ORDER BY {order}")


def export_progress(store: Store) -> dict[str, Any]:
    """Everything in the store as a JSON-ready document."""
    attempts = _rows(store, "attempts", "id")
    for row in attempts:
        del row["id"]
        row["response"] = json.loads(row["response"])
        row["correct"] = bool(row["correct"])
    cards = _rows(store, "cards", "question_id")
    for row in cards:
        row["card"] = json.loads(row["card"])
    exams = _rows(store, "exams", "id")
    for row in exams:
        del row["id"]
        row["answers"] = json.loads(row["answers"])
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": srs.iso(utcnow()),
        "schema_version": store.schema_version,
        "settings": store.settings(),
        "attempts": attempts,
        "cards": cards,
        "bookmarks": _rows(store, "bookmarks", "question_id"),
    }
    for table in ("hints", "reviews", "task_results"):
        rows = _rows(store, table, "id")
        for row in rows:
            del row["id"]
        doc[table] = rows
    doc["exams"] = exams
    return doc


def parse_document(text: str, *, source: str = "<input>") -> ProgressDocument:
    """Validate a progress document; every problem is listed with its JSON path."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProgressError(
            f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); "
            "give a file written by `quizzer progress export`"
        ) from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ProgressError(
            f'{source}: not a quizzer progress file (expected "format": "{FORMAT}" '
            "at the top level); give a file written by `quizzer progress export`"
        )
    try:
        return ProgressDocument.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in err["loc"])
            problems.append(f"  {where.replace('.[', '[')}: {err['msg']}")
        raise ProgressError(
            f"{source}: {len(problems)} problem(s) in the progress file:\n" + "\n".join(problems)
        ) from exc


def read_document(path: Path) -> ProgressDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ProgressError(f"{path}: no such file; give the path of an exported file") from exc
    except UnicodeDecodeError as exc:
        raise ProgressError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ProgressError(f"{path}: cannot read it ({exc.strerror})") from exc
    return parse_document(text, source=str(path))


def import_progress(
    store: Store, doc: ProgressDocument, *, replace: bool = False
) -> dict[str, int]:
    """Merge `doc` into `store` (or replace the store's content with it), all in
    one transaction. Returns how many rows of each kind were added."""
    added: dict[str, int] = {}
    with store.transaction() as conn:
        if replace:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
        n = 0
        for key, value in doc.settings.items():
            n += conn.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                (key, json.dumps(value)),
            ).rowcount
        added["settings"] = n
        added["attempts"] = sum(
            conn.execute(
                "INSERT OR IGNORE INTO attempts (uid, question_id, topic, qtype, mode, response, "
                "correct, score, hints_used, duration_ms, rating, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.uid, a.question_id, a.topic, a.qtype, a.mode, json.dumps(a.response),
                 int(a.correct), a.score, a.hints_used, a.duration_ms, a.rating, a.created_at),
            ).rowcount
            for a in doc.attempts
        )  # fmt: skip
        added["hints"] = sum(
            conn.execute(
                "INSERT OR IGNORE INTO hints (uid, question_id, tier, created_at) "
                "VALUES (?, ?, ?, ?)",
                (h.uid, h.question_id, h.tier, h.created_at),
            ).rowcount
            for h in doc.hints
        )
        n = 0
        for c in doc.cards:
            n += conn.execute(
                "INSERT INTO cards (question_id, card, due, last_review) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (question_id) DO UPDATE SET card = excluded.card, "
                "due = excluded.due, last_review = excluded.last_review "
                "WHERE COALESCE(excluded.last_review, '') > COALESCE(cards.last_review, '')",
                (c.question_id, json.dumps(c.card), c.due, c.last_review),
            ).rowcount
        added["cards"] = n
        added["reviews"] = sum(
            conn.execute(
                "INSERT OR IGNORE INTO reviews (uid, question_id, rating, duration_ms, "
                "reviewed_at) VALUES (?, ?, ?, ?, ?)",
                (r.uid, r.question_id, r.rating, r.duration_ms, r.reviewed_at),
            ).rowcount
            for r in doc.reviews
        )
        added["bookmarks"] = sum(
            conn.execute(
                "INSERT OR IGNORE INTO bookmarks (question_id, created_at) VALUES (?, ?)",
                (b.question_id, b.created_at),
            ).rowcount
            for b in doc.bookmarks
        )
        added["task_results"] = sum(
            conn.execute(
                "INSERT OR IGNORE INTO task_results (uid, task_id, path, status, message, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (t.uid, t.task_id, t.path, t.status, t.message, t.created_at),
            ).rowcount
            for t in doc.task_results
        )
        added["exams"] = sum(
            conn.execute(
                "INSERT OR IGNORE INTO exams (uid, title, started_at, finished_at, time_limit_s, "
                "score, max_score, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (e.uid, e.title, e.started_at, e.finished_at, e.time_limit_s, e.score,
                 e.max_score, json.dumps(e.answers)),
            ).rowcount
            for e in doc.exams
        )  # fmt: skip
    return added

"""The progress database's schema, as an ordered list of migrations.

`PRAGMA user_version` holds the schema version. `migrate` applies every migration
newer than that, each in its own transaction together with the version bump, so a
crash mid-migration leaves the database at the previous version. Called by
`quizzer.store.db.Store` when it opens a database. Never edit a released migration;
append a new one.
"""

from __future__ import annotations

import sqlite3

#: Migration N (1-based) brings the schema from version N-1 to N.
MIGRATIONS: tuple[str, ...] = (
    # 1: answers, hints, the review schedule, bookmarks and settings.
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        question_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        qtype TEXT NOT NULL,
        mode TEXT NOT NULL,
        response TEXT NOT NULL,
        correct INTEGER NOT NULL,
        score REAL NOT NULL,
        hints_used INTEGER NOT NULL DEFAULT 0,
        duration_ms INTEGER NOT NULL DEFAULT 0,
        rating INTEGER,
        created_at TEXT NOT NULL
    );
    CREATE INDEX attempts_question ON attempts (question_id);
    CREATE TABLE hints (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        question_id TEXT NOT NULL,
        tier INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE cards (
        question_id TEXT PRIMARY KEY,
        card TEXT NOT NULL,
        due TEXT NOT NULL,
        last_review TEXT
    );
    CREATE INDEX cards_due ON cards (due);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        question_id TEXT NOT NULL,
        rating INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        reviewed_at TEXT NOT NULL
    );
    CREATE TABLE bookmarks (
        question_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
    );
    """,
    # 2: coding-task results, exams, and a time index for the stats screen.
    """
    CREATE TABLE task_results (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        task_id TEXT NOT NULL,
        path TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX task_results_task ON task_results (task_id);
    CREATE TABLE exams (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        time_limit_s INTEGER NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        answers TEXT NOT NULL
    );
    CREATE INDEX attempts_created ON attempts (created_at);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def version_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> list[int]:
    """Bring `conn` up to `target`; returns the versions applied. The caller has
    checked that the database is not newer than this code knows."""
    applied: list[int] = []
    current = version_of(conn)
    for version in range(current + 1, target + 1):
        statements = [s.strip() for s in MIGRATIONS[version - 1].split(";") if s.strip()]
        # Explicit BEGIN: executescript would commit after each statement.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        applied.append(version)
    return applied

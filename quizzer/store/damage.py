"""How to tell that a progress database is damaged, and the last good copy of it.

`quizzer.store.db.Store` calls `problem` when it opens a database (and before it
writes the backup on close), `is_damage` on every SQLite error a store operation
raises, and `write_backup` when it closes a database that passed its check.
`quizzer.store.recover` rebuilds a damaged database, using the backup for what the
damaged file no longer holds. No pydantic, no fsrs: opening a store stays cheap.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

#: What to do about a database quizzer cannot use or rebuild (ends a message).
RESTORE_ADVICE = (
    "move it away (quizzer then starts a new one) and bring back your progress from a "
    "file written by `quizzer progress export` with `quizzer progress import FILE`"
)

#: SQLite's primary result codes for a damaged file (the low byte of an extended code).
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26


def is_damage(exc: BaseException) -> bool:
    """Whether `exc` says the database file itself is damaged ("database disk image is
    malformed", "file is not a database"), as opposed to locked, missing or misused."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if isinstance(code, int):
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def problem(conn: sqlite3.Connection) -> str | None:
    """What `PRAGMA quick_check` finds wrong with the database, or None when it is sound.

    quick_check reads every page of every table and index (under a millisecond for a
    few hundred answers, 14 ms for 10,000 answers and reviews, 4 MB), so damage anywhere
    shows at open, not at the first query that happens to touch the broken page. Errors
    that are not damage (a locked database) propagate."""
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return str(exc)
        raise
    lines = [
        line.strip()
        for (text,) in rows
        for line in str(text).splitlines()
        if line.strip() and not line.startswith("*** in database")
    ]
    if lines == ["ok"]:
        return None
    return f"it failed its integrity check: {lines[0] if lines else 'no report'}"


def backup_path(path: Path) -> Path:
    """Where the last good copy of the database at `path` is kept."""
    return path.with_name(f"{path.name}.bak")


def write_backup(conn: sqlite3.Connection, path: Path) -> bool:
    """Copy the database behind `conn` (checked sound by the caller) to
    `backup_path(path)`, replacing the previous copy only once the new one is whole.
    Returns whether it was written."""
    target = backup_path(path)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        copy = sqlite3.connect(partial)
        try:
            # No fsync (it would cost more than the copy, 25 ms on a small database): a
            # power cut right after closing may leave a torn backup, and the recovery
            # reads a torn backup row by row like any damaged file.
            copy.execute("PRAGMA synchronous = OFF")
            conn.backup(copy)
            # A plain rollback-journal file: the backup is read by copying it, and a
            # copy of a WAL database without its -wal file could miss pages.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error):
        # The backup is a second line of defence: a full disk or a read-only data
        # directory must not turn closing the store (and quitting the app) into an error.
        with contextlib.suppress(OSError):
            partial.unlink()
        return False
    return True

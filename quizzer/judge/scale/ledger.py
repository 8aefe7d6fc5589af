"""The durable record of a batch: every submission written before it is dispatched,
marked done only once its result document is stored.

Called by `quizzer.judge.scale.batch`. Ray does not outlive its driver and its head
node is a single point of failure, so this record lives outside Ray: an SQLite file in
WAL mode (each commit is on disk before the next dispatch). A row is keyed by
(submission hash, task hash, seed): adding a submission that is already there changes
nothing, and storing a result twice keeps the first, so a resumed batch never holds a
duplicate. States: `pending` (written, not sent), `dispatched` (sent; `attempts`
counts the sends), `done` (result stored). A batch resumed after a crash sends again
whatever is not done, and whatever was stored as not judged (an infrastructure error
is no verdict). Reports are rebuilt from the stored documents. No torch, no Ray.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quizzer.errors import UsageError
from quizzer.judge.scale.work import Submission

#: Bumped when the table layout changes; an older file is refused, not misread.
LEDGER_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    task_id TEXT NOT NULL,
    task_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    name TEXT NOT NULL,
    source BLOB NOT NULL,
    device TEXT NOT NULL,
    limits TEXT NOT NULL,
    gpu REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'dispatched', 'done')),
    attempts INTEGER NOT NULL DEFAULT 0,
    node TEXT,
    result TEXT,
    updated REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Row:
    submission: Submission
    state: str
    attempts: int
    node: str | None
    #: The stored result document (done rows only).
    result: dict | None


class Ledger:
    """One SQLite file; safe to use from several threads of one process."""

    def __init__(self, path: Path, *, must_exist: bool = False) -> None:
        self.path = path
        if must_exist and not path.is_file():
            raise UsageError(
                f"--resume {path}: no such ledger; start the batch with --ledger {path}"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise UsageError(
                f"{path}: not a quizzer ledger ({exc}); give a new path to --ledger"
            ) from None
        except OSError as exc:
            raise UsageError(f"cannot open the ledger {path}: {exc.strerror}") from None
        self._lock = threading.Lock()
        version = self.meta("ledger_version")
        if version is None:
            self.set_meta("ledger_version", LEDGER_VERSION)
        elif version != LEDGER_VERSION:
            raise UsageError(
                f"{path} is a ledger of version {version}; this quizzer reads version "
                f"{LEDGER_VERSION}: finish it with the quizzer that wrote it"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- batch settings ---------------------------------------------------------------

    def meta(self, name: str) -> object:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, name: str, value: object) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                (name, json.dumps(value)),
            )

    # --- rows -----------------------------------------------------------------------

    def add(self, subs: Iterable[Submission]) -> int:
        """Write `subs` as pending, in one transaction, before any is dispatched; a key
        already there is left as it is. Returns how many rows are new."""
        now = time.time()
        with self._lock:
            before = self._count()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                start = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM submissions")
                seq = start.fetchone()[0]
                for sub in subs:
                    seq += 1
                    self._db.execute(
                        "INSERT OR IGNORE INTO submissions (key, seq, sha256, task_id, "
                        "task_hash, seed, name, source, device, limits, gpu, state, updated) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                        (
                            sub.key,
                            seq,
                            sub.sha256,
                            sub.task_id,
                            sub.task_hash,
                            sub.seed,
                            sub.name,
                            sub.source,
                            sub.device,
                            json.dumps(sub.limits, sort_keys=True),
                            sub.gpu,
                            now,
                        ),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return self._count() - before

    def reopen_not_judged(self, keys: Sequence[str]) -> int:
        """Set back to pending the done rows of `keys` whose stored result says the
        file was not judged (infrastructure): such a result is no verdict, and a rerun
        must judge the file. Returns how many were reopened."""
        with self._lock:
            cursor = self._db.executemany(
                "UPDATE submissions SET state = 'pending', result = NULL, node = NULL, "
                "updated = ? WHERE key = ? AND state = 'done' "
                "AND json_extract(result, '$.infrastructure') = 1",
                [(time.time(), key) for key in keys],
            )
            return cursor.rowcount

    def dispatched(self, key: str) -> None:
        """Mark `key` sent (once more): written before the actor call goes out."""
        with self._lock:
            self._db.execute(
                "UPDATE submissions SET state = 'dispatched', attempts = attempts + 1, "
                "updated = ? WHERE key = ? AND state != 'done'",
                (time.time(), key),
            )

    def store(self, key: str, result: dict, node: str | None) -> bool:
        """Store `key`'s result and mark it done; a second store of a done key keeps
        the first result. Returns whether this call stored it."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE submissions SET state = 'done', result = ?, node = ?, updated = ? "
                "WHERE key = ? AND state != 'done'",
                (json.dumps(result, ensure_ascii=False), node, time.time(), key),
            )
            return cursor.rowcount == 1

    def rows(self, keys: Sequence[str] | None = None) -> list[Row]:
        """Rows in the order they were first written (all of them, or `keys`')."""
        with self._lock:
            found = self._db.execute(
                "SELECT task_id, task_hash, source, name, seed, device, limits, gpu, state, "
                "attempts, node, result, key FROM submissions ORDER BY seq"
            ).fetchall()
        rows = {r[12]: _row(r) for r in found}
        if keys is None:
            return list(rows.values())
        return [rows[k] for k in dict.fromkeys(keys) if k in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            found = self._db.execute("SELECT state, COUNT(*) FROM submissions GROUP BY state")
            return {state: n for state, n in found.fetchall()}

    def _count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]


def _row(r: tuple) -> Row:
    sub = Submission(
        task_id=r[0],
        task_hash=r[1],
        source=bytes(r[2]),
        name=r[3],
        seed=int(r[4]),
        device=r[5],
        limits=json.loads(r[6]),
        gpu=float(r[7]),
    )
    return Row(sub, r[8], int(r[9]), r[10], json.loads(r[11]) if r[11] else None)

"""Rebuild a damaged progress database from what can still be read.

`quizzer.store.db.Store` calls `keep_copy` and then `rebuild` when it finds its
database damaged: on open (`PRAGMA quick_check`), or when a later query hits a broken
page. Nothing is thrown away: the damaged file (and its -wal file) is first copied,
byte for byte, to `<name>.damaged-<UTC time>`, never over an earlier copy, and the new
database takes its place only once it is complete.

What goes into the new database, each row validated by the models of the export
format (`quizzer.store.transfer`) and merged the way `quizzer progress import` merges:

1. every row the damaged file still yields, table by table. Where a scan stops at a
   broken page it starts again just past the last row it read, one row id at a time,
   so a broken page costs only its own rows. A file whose 100-byte header is garbage
   is read again behind a fresh header.
2. what the `sqlite3` shell's `.recover` finds, where that shell is installed and the
   command works (it reaches rows under a broken interior page; some builds fail on
   every file, so nothing depends on it).
3. for each table the damaged file did not yield in full, the rows of the last good
   copy (`<name>.bak`, written by `Store.close` when the database passed its check).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.store.damage import RESTORE_ADVICE, backup_path
from quizzer.store.db import TABLES, ProgressError, Store

if TYPE_CHECKING:
    from quizzer.store.transfer import ProgressDocument

#: What a table's rows are called in messages: (one, many).
KINDS: dict[str, tuple[str, str]] = {
    "settings": ("setting", "settings"),
    "attempts": ("answer", "answers"),
    "hints": ("hint", "hints"),
    "cards": ("review schedule", "review schedules"),
    "reviews": ("review", "reviews"),
    "bookmarks": ("bookmark", "bookmarks"),
    "task_results": ("task result", "task results"),
    "exams": ("exam", "exams"),
}
#: The order tables are listed in messages: what a learner cares about most first.
SHOWN = ("attempts", "cards", "reviews", "hints", "bookmarks", "task_results", "exams", "settings")
#: Columns that hold JSON text in the database and a JSON value in the export format.
JSON_COLUMNS = {"attempts": "response", "cards": "card", "exams": "answers"}
#: Past a broken page, a scan probes the next row ids one by one: it gives up after this
#: many misses in a row beyond the largest row id (where that is known), or this many
#: probes in all (a probe costs 5 to 25 microseconds).
MAX_MISSES = 5_000
MAX_PROBES = 1_000_000
#: Seconds the sqlite3 shell's `.recover` may take.
SHELL_TIMEOUT_S = 120.0
#: The files SQLite keeps beside a database.
COMPANIONS = ("", "-wal", "-shm")


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def counted(n: int, table: str) -> str:
    one, many = KINDS[table]
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class Recovery:
    """What `rebuild` did: where the damaged file went and what the new one holds."""

    path: Path
    kept: Path
    reason: str
    #: Rows in the rebuilt database, per table.
    recovered: dict[str, int]
    #: Rows the damaged file held, for the tables it did not yield in full, where it
    #: could still count them (an intact index counts a table's rows).
    totals: dict[str, int]
    #: Tables the damaged file did not yield in full.
    incomplete: tuple[str, ...]
    #: Rows taken from the last good copy.
    from_backup: int
    #: Rows read but invalid (damaged content), left out.
    rejected: int

    @property
    def message(self) -> str:
        text = f"{self.path} was damaged ({self.reason}); a copy is kept at {self.kept}."
        if not any(self.recovered.values()):
            return text + " Nothing could be read from it: progress starts empty."
        parts: list[str] = []
        short: list[str] = []  # kinds of which some rows may be missing
        for table in SHOWN:
            n, total = self.recovered.get(table, 0), self.totals.get(table)
            missing = table in self.incomplete and (total is None or total > n)
            if missing:
                short.append(KINDS[table][1])
            if missing and total is not None:
                parts.append(f"{n} of {counted(total, table)}")
            elif n:
                parts.append(counted(n, table))
        listed = ", ".join(parts)
        from_backup = ""
        if self.from_backup:
            from_backup = f" ({self.from_backup} rows of it from the last good backup)"
        if self.from_backup and self.from_backup >= sum(self.recovered.values()):
            text += f" Nothing could be read from it; the last good backup gave back {listed}."
            text += " Anything newer than that backup is lost."
        elif not short and not self.rejected:
            text += f" Recovered everything: {listed}{from_backup}."
        else:
            text += f" Recovered {listed}{from_backup}."
            if short and self.from_backup:
                text += (
                    f" Some {_and(short)} could not be read: any newer than the backup are lost."
                )
            elif short:
                text += f" Nothing else could be read: some {_and(short)} are lost."
        if self.rejected:
            rows = (
                "1 damaged row was" if self.rejected == 1 else f"{self.rejected} damaged rows were"
            )
            text += f" {rows} left out."
        return text


def keep_copy(path: Path, reason: str) -> Path:
    """Copy the damaged database at `path` (and its -wal file) to a name no earlier
    copy has. Called while the store's connection is still open: closing the last
    connection would fold the -wal file into the damaged one."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for n in itertools.count(1):
        kept = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n > 1 else ""))
        if not any(Path(f"{kept}{suffix}").exists() for suffix in COMPANIONS):
            break
    wal = Path(f"{path}-wal")
    made: list[Path] = []
    try:
        for source, target in ((path, kept), (wal, Path(f"{kept}-wal"))):
            if source == wal and not (wal.exists() and wal.stat().st_size):
                continue
            with source.open("rb") as src, target.open("xb") as dst:  # x: never overwrite
                made.append(target)
                shutil.copyfileobj(src, dst)
    except OSError as exc:
        for target in made:
            target.unlink(missing_ok=True)
        raise ProgressError(
            f"{path} is damaged ({reason}) and cannot be copied aside ({exc.strerror}); "
            + RESTORE_ADVICE
        ) from exc
    return kept


def rebuild(path: Path, reason: str, kept: Path) -> Recovery:
    """Put a new database, holding all that could be read from `kept` (the copy of the
    damaged one) and from the last good backup, in place of the damaged one at `path`.
    The caller has closed its connection to it."""
    from quizzer.store.transfer import import_progress

    fresh = path.with_name(f"{path.name}.recovering")
    _remove(fresh)
    with tempfile.TemporaryDirectory(prefix="quizzer-recover-") as folder:
        work = Path(folder)
        scratch = work / "damaged.sqlite3"
        shutil.copyfile(kept, scratch)
        if Path(f"{kept}-wal").exists():
            shutil.copyfile(f"{kept}-wal", f"{scratch}-wal")
        found = _read(scratch)
        if not found.schema:
            reheadered = _with_fresh_header(scratch, work / "reheadered.sqlite3")
            if reheadered is not None:
                scratch, found = reheadered, _read(reheadered)
        sources = [found]
        shell = _shell_recover(scratch, work / "shell.sqlite3")
        if shell is not None:
            sources.append(_read(shell))
        backup = _copy(backup_path(path), work / "backup.sqlite3")
        try:
            with Store(fresh, recover=False, backup=False) as store:
                doc, rejected = _document(found.rows)
                import_progress(store, doc)
                for source in sources[1:]:
                    import_progress(store, _document(source.rows)[0])
                missing = [table for table in TABLES if table not in found.complete]
                from_backup = 0
                if backup is not None and missing:
                    rows = _read(backup).rows
                    doc, _ = _document({t: rows[t] for t in missing if t in rows})
                    from_backup = sum(import_progress(store, doc).values())
                recovered = {t: int(store.query(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in TABLES}
        except (OSError, sqlite3.Error) as exc:  # a full disk, most likely
            _remove(fresh)
            raise ProgressError(
                f"{path} is damaged ({reason}) and a rebuilt copy cannot be written beside "
                f"it ({exc}); a copy is kept at {kept}; " + RESTORE_ADVICE
            ) from exc
        except BaseException:
            _remove(fresh)
            raise
    try:
        # A -wal file left beside the new database would be replayed into it.
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(fresh, path)
    except OSError as exc:
        raise ProgressError(
            f"{path} was damaged ({reason}) and a copy is kept at {kept}, but the rebuilt "
            f"database {fresh} cannot take its place ({exc.strerror}); rename it to {path.name}"
        ) from exc
    return Recovery(
        path=path,
        kept=kept,
        reason=reason,
        recovered=recovered,
        totals={t: n for t, n in found.totals.items() if t in missing},
        incomplete=tuple(missing),
        from_backup=from_backup,
        rejected=rejected,
    )


# --- reading what is left -------------------------------------------------------------


@dataclass
class _Found:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Tables read to the end without an error.
    complete: set[str] = field(default_factory=set)
    #: Row counts of incomplete tables, where an index could still count them.
    totals: dict[str, int] = field(default_factory=dict)
    #: Whether the file's list of tables could be read at all.
    schema: bool = False


def _read(db_file: Path) -> _Found:
    found = _Found()
    try:
        conn = sqlite3.connect(db_file, isolation_level=None)
    except sqlite3.Error:
        return found
    try:
        try:
            names = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except sqlite3.Error:
            return found
        found.schema = True
        for table in TABLES:
            if table not in names:  # a database from before this table existed
                found.complete.add(table)
                continue
            rows, complete = _scan(conn, table)
            found.rows[table] = rows
            if complete:
                found.complete.add(table)
                continue
            # Without an intact index to count with, the message says "some are lost".
            with contextlib.suppress(sqlite3.Error):
                found.totals[table] = int(
                    conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                )
    finally:
        conn.close()
    return found


def _scan(conn: sqlite3.Connection, table: str) -> tuple[list[dict[str, Any]], bool]:
    """Every row of `table` that can be read, in row-id order, and whether that was all."""
    # NOT INDEXED: read the table's own b-tree, never an index that may be broken too.
    # `>=`, not `>`: seeking past the last row id of a broken page lands in that page.
    scan = f"SELECT rowid, * FROM {table} NOT INDEXED WHERE rowid >= ? ORDER BY rowid"
    one = f"SELECT rowid, * FROM {table} WHERE rowid = ?"
    try:
        upper: int | None = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        upper = None
    rows: list[dict[str, Any]] = []
    wanted = -(2**63)  # the next row id to read from
    misses = 0
    complete = True
    for _probe in range(MAX_PROBES):
        try:
            cursor = conn.execute(scan, (wanted,))
            for record in cursor:
                wanted, misses = record[0] + 1, 0
                rows.append(_row(cursor, record))
            return rows, complete
        except sqlite3.Error:
            complete = False
        # A broken page, or a row that does not decode. The cursor reads one row ahead,
        # so the row at `wanted` may be whole although the step past it failed: read it
        # alone, then go on from the next row id (row ids here start at 1).
        wanted = max(wanted, 1)
        if wanted > 2**63 - 1:  # a garbage row id at the very end
            break
        try:
            cursor = conn.execute(one, (wanted,))
            found = [_row(cursor, record) for record in cursor]
        except sqlite3.Error:
            found = []
        rows.extend(found)
        misses = 0 if found else misses + 1
        wanted += 1
        if misses > MAX_MISSES and (upper is None or wanted > upper):
            break
    return rows, False


def _row(cursor: sqlite3.Cursor, record: tuple[Any, ...]) -> dict[str, Any]:
    """A row as a dict, without the row id that leads it."""
    names = [d[0] for d in cursor.description][1:]
    return dict(zip(names, record[1:], strict=True))


def _with_fresh_header(src: Path, dst: Path) -> Path | None:
    """`src` behind a new 100-byte database header (the page size guessed), when that
    makes its tables readable: a garbage header need not cost the pages behind it."""
    data = src.read_bytes()
    wal = Path(f"{src}-wal")
    for page_size in (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512):
        if len(data) < page_size:
            continue
        pages = -(-len(data) // page_size)
        dst.write_bytes(_header(page_size, pages, wal=wal.exists()) + data[100:])
        if wal.exists():
            shutil.copyfile(wal, f"{dst}-wal")
        try:
            conn = sqlite3.connect(dst)
            try:
                names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            finally:
                conn.close()
        except sqlite3.Error:
            continue
        if names & set(TABLES):
            return dst
    return None


def _header(page_size: int, pages: int, *, wal: bool) -> bytes:
    """A database file header (https://sqlite.org/fileformat.html#the_database_header):
    no free list, UTF-8, schema format 4."""
    version = 2 if wal else 1
    return struct.pack(
        ">16sH6B12I20s2I",
        b"SQLite format 3\x00",
        1 if page_size == 65536 else page_size,
        version, version, 0, 64, 32, 32,  # file format versions, reserved bytes, payload fractions
        1, pages, 0, 0, 1, 4, 0, 0, 1, 0, 0, 0,  # change counter, size, free list, cookie, ...
        b"",
        1,  # valid for change counter 1, so the size above is used
        sqlite3.sqlite_version_info[0] * 1_000_000 + sqlite3.sqlite_version_info[1] * 1000,
    )  # fmt: skip


def _sqlite_shell() -> str | None:
    return shutil.which("sqlite3")


def _shell_recover(src: Path, dst: Path) -> Path | None:
    """The database that the sqlite3 shell's `.recover` rebuilds from `src`, or None
    where there is no shell or its `.recover` fails."""
    shell = _sqlite_shell()
    if shell is None:
        return None
    try:
        done = subprocess.run(
            [shell, str(src), ".recover"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=SHELL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # Any complaint means a partial script (some builds say "sql error: SQL logic
    # error" for every file); the row-by-row read has the rows such a script has.
    if done.returncode != 0 or done.stderr.strip() or not done.stdout.strip():
        return None
    try:
        conn = sqlite3.connect(dst, isolation_level=None)
        try:
            conn.executescript(done.stdout.decode("utf-8", "replace"))
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return dst


def _document(rows: dict[str, list[dict[str, Any]]]) -> tuple[ProgressDocument, int]:
    """The rows that pass the export format's validation, as one progress document,
    and how many did not."""
    from quizzer.store import transfer

    models: dict[str, type[transfer._Row]] = {
        "attempts": transfer.AttemptRow,
        "hints": transfer.HintRow,
        "cards": transfer.CardRow,
        "reviews": transfer.ReviewRow,
        "bookmarks": transfer.BookmarkRow,
        "task_results": transfer.TaskResultRow,
        "exams": transfer.ExamRow,
    }
    doc: dict[str, Any] = {"format": transfer.FORMAT, "version": transfer.FORMAT_VERSION}
    settings: dict[str, Any] = {}
    rejected = 0
    for table, found in rows.items():
        valid: list[Any] = []
        for raw in found:
            # ValueError covers bad JSON and pydantic's ValidationError.
            try:
                if table == "settings":
                    if not isinstance(raw["key"], str):
                        raise TypeError("a setting's key is text")
                    settings.setdefault(raw["key"], json.loads(raw["value"]))
                    continue
                row = {k: v for k, v in raw.items() if k != "id"}
                if table in JSON_COLUMNS:
                    row[JSON_COLUMNS[table]] = json.loads(row[JSON_COLUMNS[table]])
                valid.append(models[table].model_validate(row))
            except (KeyError, TypeError, ValueError):
                rejected += 1
        if table != "settings":
            doc[table] = valid
    doc["settings"] = settings
    return transfer.ProgressDocument.model_validate(doc), rejected


# --- files ----------------------------------------------------------------------------


def _copy(src: Path, dst: Path) -> Path | None:
    if not src.is_file():
        return None
    try:
        shutil.copyfile(src, dst)
    except OSError:
        return None  # an unreadable backup is no backup; the damaged file is still read
    return dst


def _remove(path: Path) -> None:
    for suffix in COMPANIONS:
        Path(f"{path}{suffix}").unlink(missing_ok=True)

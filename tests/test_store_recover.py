"""A damaged progress database: found on open (or by a later query), kept aside under
a name of its own, and rebuilt from what can still be read and from the last good
backup; the store, `quizzer progress` and the practice UI say what was kept, and no
traceback reaches the user."""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Rating

from quizzer.store import ProgressError, Store, damage, recover
from quizzer.store.transfer import export_progress

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
N = 300  # answers: a dozen leaf pages of the attempts table


@pytest.fixture(autouse=True)
def no_sqlite_shell(monkeypatch):
    """The sqlite3 shell's `.recover` is used where it works; these tests pin it off
    (or to a fake) so that they read the same on every machine."""
    monkeypatch.setattr(recover, "_sqlite_shell", lambda: None)


def fill(store: Store, n: int = N, *, start: int = 0) -> None:
    store.set_setting("lang", "zh")
    store.toggle_bookmark("q-1", when=T0)
    store.record_hint("q-1", 1, when=T0)
    store.record_task_result("simple-nn", "submissions/simple_nn.py", "pass", when=T0)
    for i in range(start, start + n):
        store.record_attempt(
            question_id=f"q-{i % 40}", topic="autograd", qtype="single_choice",
            mode="practice", response=f"answer {i} " + "x" * 40, correct=i % 3 != 0,
            score=0.0 if i % 3 == 0 else 1.0, rating=Rating.Good,
            when=T0 + timedelta(minutes=i),
        )  # fmt: skip


@pytest.fixture
def db(tmp_path) -> Path:
    """A real progress database with N answers, closed cleanly (so it has a backup)."""
    path = tmp_path / "data" / "progress.sqlite3"
    with Store(path) as store:
        fill(store)
    return path


def leaf_pages(path: Path, table: str) -> list[tuple[int, int]]:
    """(page number, rows on it) of each leaf page of `table`, in key order."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT pageno, ncell FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path",
            (table,),
        ).fetchall()
    finally:
        conn.close()


def root_page(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
    finally:
        conn.close()


def smash(path: Path, page: int, *, offset: int = 0, size: int | None = None) -> None:
    """Overwrite (part of) page `page` (1-based) with random bytes."""
    page_size = 4096
    junk = random.Random(page).randbytes(size or page_size - offset)
    with path.open("r+b") as f:
        f.seek((page - 1) * page_size + offset)
        f.write(junk)


def kept_copies(path: Path) -> list[Path]:
    """The kept copies of the database at `path` (not their -wal files)."""
    found = path.parent.glob(f"{path.name}.damaged-*")
    return sorted(p for p in found if not p.name.endswith("-wal"))


def uids(store: Store, table: str = "attempts") -> set[str]:
    return {r[0] for r in store.query(f"SELECT uid FROM {table}")}


def original_uids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT uid FROM attempts")}
    finally:
        conn.close()


def comparable(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "exported_at"}


# --- telling damage apart ------------------------------------------------------------


def test_damage_is_told_apart_from_other_sqlite_errors(tmp_path):
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"not sqlite" * 500)
    with pytest.raises(sqlite3.DatabaseError) as caught:
        sqlite3.connect(garbage).execute("SELECT * FROM sqlite_master").fetchall()
    assert damage.is_damage(caught.value)
    with pytest.raises(sqlite3.OperationalError) as caught:
        sqlite3.connect(":memory:").execute("SELECT * FROM nowhere")
    assert not damage.is_damage(caught.value)
    assert not damage.is_damage(sqlite3.OperationalError("database is locked"))
    assert not damage.is_damage(OSError("disk image is malformed"))


def test_a_sound_database_passes_the_check_and_a_broken_page_does_not(db):
    conn = sqlite3.connect(db)
    assert damage.problem(conn) is None
    conn.close()
    smash(db, leaf_pages(db, "attempts")[2][0], offset=2000, size=300)
    conn = sqlite3.connect(db)
    found = damage.problem(conn)
    conn.close()
    assert found is not None


# --- rebuilding on open --------------------------------------------------------------


def test_a_broken_page_costs_only_its_own_rows(db):
    damage.backup_path(db).unlink()  # no backup: only the damaged file to read
    page, on_page = leaf_pages(db, "attempts")[2]
    before = db.read_bytes()
    smash(db, page)
    smashed = db.read_bytes()
    assert smashed != before

    with Store(db) as store:
        assert store.recovery is not None
        assert len(store.attempts()) == N - on_page
        # The tables on pages that are whole come back whole.
        assert store.query("SELECT COUNT(*) FROM reviews")[0][0] == N
        assert store.scheduled_ids() == {f"q-{i}" for i in range(40)}
        assert store.bookmarks() == {"q-1"} and store.get_setting("lang") == "zh"
        assert store.task_passed("simple-nn") and store.hints_used("q-1") == 1
        message = store.recovery.message
        # The rebuilt database works like any other.
        store.record_attempt(
            question_id="q-new", topic="t", qtype="numeric", mode="practice", response=1,
            correct=True, score=1.0,
        )  # fmt: skip
    (kept,) = kept_copies(db)
    assert kept.read_bytes() == smashed  # the damaged file, byte for byte
    assert str(db) in message and str(kept) in message
    assert "database disk image is malformed" in message
    assert f"Recovered {N - on_page} of {N} answers" in message
    assert "some answers are lost" in message
    assert not db.with_name(f"{db.name}.recovering").exists()
    with Store(db) as again:  # sound now: nothing more to do
        assert again.recovery is None and len(again.attempts()) == N - on_page + 1


def test_the_last_good_backup_gives_back_what_the_damaged_file_lost(db):
    assert damage.backup_path(db).exists()  # written when the fixture closed the store
    expected = original_uids(db)
    smash(db, leaf_pages(db, "attempts")[2][0])
    with Store(db) as store:
        assert store.recovery is not None
        assert uids(store) == expected
        message = store.recovery.message
    assert f"Recovered everything: {N} answers" in message
    assert "from the last good backup" in message


def test_the_backup_fills_in_only_tables_the_damaged_file_did_not_yield(db, tmp_path):
    old_backup = tmp_path / "old.bak"
    old_backup.write_bytes(damage.backup_path(db).read_bytes())  # bookmarks q-1
    with Store(db) as store:
        fill(store, 10, start=N)  # (fill bookmarks q-1 again...)
        store.toggle_bookmark("q-1")
        store.toggle_bookmark("q-1")  # ...so: un-bookmarked since that backup
        assert store.bookmarks() == set()
    damage.backup_path(db).write_bytes(old_backup.read_bytes())
    expected = original_uids(db)
    smash(db, leaf_pages(db, "attempts")[1][0])
    with Store(db) as store:
        # The bookmarks table was read in full: the old backup does not bring q-1 back.
        assert store.bookmarks() == set()
        # Answers lost with the broken page come back from the backup...
        got = uids(store)
        # (all of them older than the backup, so none is missing).
        assert got == expected and len(got) == N + 10
        assert store.recovery is not None and "answers" in store.recovery.message


def test_a_garbage_header_loses_nothing(db):
    damage.backup_path(db).unlink()
    with Store(db) as store:
        expected = comparable(export_progress(store))
    with db.open("r+b") as f:
        f.write(random.Random(1).randbytes(100))
    with Store(db) as store:
        assert store.recovery is not None and "file is not a database" in store.recovery.reason
        assert comparable(export_progress(store)) == expected
        assert "Recovered everything" in store.recovery.message


def test_a_truncated_file_gives_back_the_rows_before_the_cut(db):
    damage.backup_path(db).unlink()
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.truncate(size // 2)
    with Store(db) as store:
        assert store.recovery is not None
        n = len(store.attempts())
        assert 0 < n < N
        assert "are lost" in store.recovery.message
    (kept,) = kept_copies(db)
    assert kept.stat().st_size == size // 2


def test_a_broken_interior_page_is_filled_from_the_backup(db):
    expected = original_uids(db)
    smash(db, root_page(db, "attempts"))
    with Store(db) as store:
        assert uids(store) == expected
        assert store.recovery is not None
        assert store.recovery.from_backup >= N


def test_an_unreadable_schema_without_a_backup_starts_empty_and_says_so(db):
    damage.backup_path(db).unlink()
    smash(db, 1, offset=100)  # the table list lives on page 1, behind the header
    with Store(db) as store:
        assert store.recovery is not None
        assert store.attempts() == [] and store.settings() == {}
        assert "Nothing could be read from it: progress starts empty" in store.recovery.message
        fill(store, 1)
        assert len(store.attempts()) == 1
    assert len(kept_copies(db)) == 1


def test_an_unreadable_schema_with_a_backup_gets_the_backup_back(db):
    expected = original_uids(db)
    smash(db, 1, offset=100)
    with Store(db) as store:
        assert uids(store) == expected
        assert store.recovery is not None
        assert "the last good backup gave back" in store.recovery.message


def test_rows_that_do_not_validate_are_left_out_and_counted(db):
    damage.backup_path(db).unlink()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(
        "INSERT INTO attempts (uid, question_id, topic, qtype, mode, response, correct, "
        "score, created_at) VALUES ('bad', 'q', 't', 'x', 'nonsense', 'not json', 7, 9.5, "
        "'yesterday')"
    )
    conn.close()
    smash(db, leaf_pages(db, "attempts")[0][0])
    with Store(db) as store:
        assert "bad" not in uids(store)
        assert store.recovery is not None and store.recovery.rejected == 1
        assert "1 damaged row was left out" in store.recovery.message


def test_a_damaged_database_with_a_wal_keeps_the_wal_and_its_answers(tmp_path):
    path = tmp_path / "data" / "progress.sqlite3"
    with Store(path) as store:
        fill(store)
    holder = sqlite3.connect(path)  # another reader: closing the store checkpoints nothing
    holder.execute("SELECT COUNT(*) FROM attempts").fetchall()
    with Store(path, backup=False) as store:
        fill(store, 20, start=N)
        recent = uids(store) - original_uids_without_wal(path)
    crashed = tmp_path / "crashed" / "progress.sqlite3"
    crashed.parent.mkdir()
    for suffix in ("", "-wal"):
        Path(f"{crashed}{suffix}").write_bytes(Path(f"{path}{suffix}").read_bytes())
    holder.close()
    assert len(recent) == 20 and Path(f"{crashed}-wal").stat().st_size > 0
    smash(crashed, leaf_pages(path, "attempts")[0][0])
    with Store(crashed) as store:
        assert store.recovery is not None
        assert recent <= uids(store)  # answers that were only in the -wal file
    (kept,) = kept_copies(crashed)
    assert Path(f"{kept}-wal").exists()


def original_uids_without_wal(path: Path) -> set[str]:
    """The answers in the main file alone (a copy without its -wal)."""
    alone = path.with_name("alone.sqlite3")
    alone.write_bytes(path.read_bytes())
    return original_uids(alone)


def test_an_earlier_kept_copy_is_never_overwritten(db, monkeypatch):
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime(2026, 11, 30, 14, 29, tzinfo=timezone.utc)

    monkeypatch.setattr(recover, "datetime", Frozen)
    earlier = db.with_name(f"{db.name}.damaged-20261130T142900Z")
    earlier.write_bytes(b"an earlier damaged copy")
    smash(db, leaf_pages(db, "attempts")[2][0])
    with Store(db) as store:
        assert store.recovery is not None
        assert store.recovery.kept == db.with_name(f"{db.name}.damaged-20261130T142900Z-2")
    assert earlier.read_bytes() == b"an earlier damaged copy"
    assert store.recovery.kept.exists()


def blind_once(monkeypatch) -> None:
    """Damage the check at open does not see (a broken index, say): the first check
    passes whatever it finds."""
    real = damage.problem
    calls: list[object] = []

    def check(conn: sqlite3.Connection) -> str | None:
        calls.append(conn)
        return None if len(calls) == 1 else real(conn)

    monkeypatch.setattr(damage, "problem", check)


def test_damage_a_later_query_finds_is_rebuilt_and_the_query_answered(db, monkeypatch):
    damage.backup_path(db).unlink()
    page, on_page = leaf_pages(db, "attempts")[2]
    smash(db, page)
    blind_once(monkeypatch)
    with Store(db) as store:
        assert store.recovery is None
        rows = store.attempts()  # hits the broken page: rebuilt, then read again
        assert len(rows) == N - on_page
        assert store.recovery is not None
    assert len(kept_copies(db)) == 1


def test_damage_inside_a_transaction_rebuilds_and_says_the_change_was_lost(db, monkeypatch):
    smash(db, leaf_pages(db, "attempts")[2][0])
    blind_once(monkeypatch)
    with Store(db) as store:
        with (
            pytest.raises(ProgressError, match="was not; do it again") as caught,
            store.transaction() as conn,
        ):
            conn.execute("SELECT * FROM attempts").fetchall()
        assert "was damaged" in str(caught.value)
        assert len(store.attempts()) == N  # the backup filled the gap


def test_refusing_to_rebuild_leaves_the_file_alone_with_advice(db):
    smash(db, leaf_pages(db, "attempts")[2][0])
    smashed = db.read_bytes()
    with pytest.raises(ProgressError) as caught:
        Store(db, recover=False)
    message = str(caught.value)
    assert "is damaged" in message and str(db) in message
    assert db.read_bytes() == smashed and kept_copies(db) == []


def test_the_advice_for_an_unusable_file_names_import_not_export(tmp_path):
    for path, recover_it in ((tmp_path / "garbage.sqlite3", False), (tmp_path / "a-dir", True)):
        if recover_it:
            path.mkdir()  # not a file at all: "unable to open database file"
        else:
            path.write_bytes(b"this is not sqlite at all" * 100)
        with pytest.raises(ProgressError) as caught:
            Store(path, recover=recover_it)
        message = str(caught.value)
        assert "`quizzer progress import FILE`" in message, message
        assert "written by `quizzer progress export`" in message
        assert "restore it from `quizzer progress export`" not in message


# --- the last good backup ------------------------------------------------------------


def test_closing_a_sound_store_writes_the_backup_and_a_damaged_one_does_not(tmp_path, monkeypatch):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        fill(store, 5)
    backup = damage.backup_path(path)
    assert len(original_uids(backup)) == 5
    before = backup.read_bytes()
    smash(path, leaf_pages(path, "attempts")[0][0])
    blind_once(monkeypatch)  # opens; the check on close sees the damage
    store = Store(path)
    assert store.recovery is None
    store.close()
    assert backup.read_bytes() == before  # the last good copy stays the last good one


def test_no_backup_for_a_store_that_asks_for_none(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path, backup=False) as store:
        fill(store, 1)
    assert not damage.backup_path(path).exists()


# --- the sqlite3 shell's .recover, where it works -------------------------------------


def fake_shell(tmp_path: Path, *, intact: Path, complain: bool = False) -> str:
    """A stand-in for `sqlite3 FILE .recover`: the SQL for the intact database (as a
    working `.recover` would give for most damage), or a complaint and half a script,
    as some builds give for every file."""
    script = tmp_path / "fake-sqlite3"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(f"""\
            import sqlite3, sys
            assert sys.argv[2] == ".recover", sys.argv
            if {complain!r}:
                print("BEGIN;")
                print("sql error: SQL logic error (1)", file=sys.stderr)
                sys.exit(0)
            for line in sqlite3.connect({str(intact)!r}).iterdump():
                print(line)
            """)
    )
    script.chmod(0o755)
    return str(script)


def test_the_shell_recover_reaches_rows_under_a_broken_interior_page(db, tmp_path, monkeypatch):
    damage.backup_path(db).unlink()
    intact = tmp_path / "intact.sqlite3"
    intact.write_bytes(db.read_bytes())
    expected = original_uids(db)
    smash(db, root_page(db, "attempts"))
    monkeypatch.setattr(recover, "_sqlite_shell", lambda: fake_shell(tmp_path, intact=intact))
    with Store(db) as store:
        assert uids(store) == expected
        assert store.recovery is not None and store.recovery.from_backup == 0


def test_a_shell_that_complains_is_ignored(db, tmp_path, monkeypatch):
    damage.backup_path(db).unlink()
    smash(db, root_page(db, "attempts"))
    shell = fake_shell(tmp_path, intact=db, complain=True)
    monkeypatch.setattr(recover, "_sqlite_shell", lambda: shell)
    with Store(db) as store:
        assert store.attempts() == []  # the root page held every answer's way in
        assert store.query("SELECT COUNT(*) FROM reviews")[0][0] == N


# --- quizzer progress ----------------------------------------------------------------


@pytest.fixture
def data_env(db):
    return {"QUIZZER_DATA_DIR": str(db.parent)}


def test_cli_export_of_a_damaged_database_exports_what_was_recovered(run_cli, db, data_env):
    damage.backup_path(db).unlink()
    page, on_page = leaf_pages(db, "attempts")[2]
    smash(db, page)
    result = run_cli("progress", "export", env=data_env)
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["attempts"]) == N - on_page
    (kept,) = kept_copies(db)
    assert "warning:" in result.stderr and "was damaged" in result.stderr
    assert str(kept) in result.stderr
    assert f"{N - on_page} of {N} answers" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_reset_of_a_damaged_database_keeps_it_aside_and_starts_fresh(run_cli, db, data_env):
    damage.backup_path(db).unlink()
    page, on_page = leaf_pages(db, "attempts")[2]
    smash(db, page)
    smashed = db.read_bytes()
    result = run_cli("progress", "reset", "--yes", env=data_env)
    assert result.exit_code == 0, result.stderr
    (kept,) = kept_copies(db)
    assert kept.read_bytes() == smashed
    assert str(kept) in result.stderr and "progress reset" in result.stdout
    (backup,) = db.parent.glob("progress-backup-*.json")
    assert len(json.loads(backup.read_text())["attempts"]) == N - on_page
    with Store(db) as store:
        assert store.attempts() == [] and store.recovery is None


def test_cli_import_into_a_damaged_database_works(run_cli, db, data_env, tmp_path):
    with Store(tmp_path / "other.sqlite3") as other:
        other.record_hint("q-other", 2, when=T0)
        doc = export_progress(other)
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(doc))
    smash(db, 1, offset=0, size=100)
    result = run_cli("progress", "import", moved, env=data_env)
    assert result.exit_code == 0, result.stderr
    assert "1 hints" in result.stdout and "was damaged" in result.stderr
    with Store(db) as store:
        assert store.hints_used("q-other") == 1 and len(store.attempts()) == N


def test_cli_a_damaged_database_that_cannot_be_moved_is_exit_2_with_advice(
    run_cli, db, data_env, monkeypatch
):
    real_open = Path.open

    def no_room(self: Path, mode: str = "r", *args, **kwargs):
        if mode == "xb":
            raise PermissionError(13, "Permission denied")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_room)
    smash(db, leaf_pages(db, "attempts")[2][0])
    smashed = db.read_bytes()
    result = run_cli("progress", "export", env=data_env)
    assert result.exit_code == 2
    assert "is damaged (database disk image is malformed)" in result.stderr
    assert "cannot be copied aside (Permission denied)" in result.stderr
    assert "`quizzer progress import FILE`" in result.stderr
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == smashed and kept_copies(db) == []
    assert not db.with_name(f"{db.name}.recovering").exists()


# --- the practice UI -----------------------------------------------------------------


def test_the_practice_ui_shows_what_was_recovered_as_a_notification(tmp_path):
    from test_tui_support import drive, make_rig

    path = tmp_path / "progress.sqlite3"
    with Store(path, backup=False) as store:
        fill(store, 60)
    smash(path, leaf_pages(path, "attempts")[1][0])
    rig = make_rig(tmp_path)  # opens the store at tmp_path / "progress.sqlite3"
    try:
        assert rig.store.recovery is not None

        async def scenario(app, pilot):
            await pilot.pause()

        app = drive(rig, scenario)
    finally:
        rig.store.close()
    notes = [n for n in app._notifications if "was damaged" in str(n.message)]
    assert len(notes) == 1
    assert notes[0].severity == "warning"
    assert str(rig.store.recovery.kept) in str(notes[0].message)

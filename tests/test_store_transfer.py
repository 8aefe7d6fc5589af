"""Moving progress between machines: export, validated import (merge or replace),
and the `quizzer progress` commands."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from quizzer.store import ProgressError, Store
from quizzer.store.transfer import export_progress, import_progress, parse_document

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def fill(store: Store) -> None:
    store.set_setting("lang", "zh")
    store.record_hint("q-one", 1, when=T0)
    store.record_attempt(
        question_id="q-one", topic="autograd", qtype="multiple_choice", mode="learn",
        response=["a", "c"], correct=True, score=1.0, hints_used=1, duration_ms=4200,
        rating=Rating.Hard, when=T0,
    )  # fmt: skip
    store.toggle_bookmark("q-one", when=T0)
    store.record_task_result("simple-nn", "submissions/simple_nn.py", "pass", when=T0)
    store.record_exam(
        title="mock", started_at=T0, finished_at=T0 + timedelta(minutes=1), time_limit_s=60,
        score=0.0, max_score=1.0,
        answers=[{"question_id": "q-two", "topic": "t", "type": "numeric", "response": 3,
                  "correct": False, "score": 0.0}],
    )  # fmt: skip


@pytest.fixture
def full(tmp_path):
    with Store(tmp_path / "a.sqlite3") as s:
        fill(s)
        yield s


@pytest.fixture
def empty(tmp_path):
    with Store(tmp_path / "b.sqlite3") as s:
        yield s


def comparable(doc):
    doc = dict(doc)
    doc.pop("exported_at")
    return doc


def test_export_then_import_into_an_empty_store_gives_the_same_document(full, empty):
    doc = export_progress(full)
    text = json.dumps(doc)
    added = import_progress(empty, parse_document(text))
    assert added["attempts"] == 2 and added["cards"] == 1 and added["exams"] == 1
    assert comparable(export_progress(empty)) == comparable(doc)
    assert empty.card("q-one") == full.card("q-one")
    assert empty.get_setting("lang") == "zh"


def test_importing_twice_adds_nothing_the_second_time(full, empty):
    doc = parse_document(json.dumps(export_progress(full)))
    import_progress(empty, doc)
    again = import_progress(empty, doc)
    assert set(again.values()) == {0}
    assert len(empty.attempts()) == 2


def test_merge_keeps_local_settings_and_newer_schedules(full, empty):
    empty.set_setting("lang", "en")
    later = T0 + timedelta(days=3)
    empty.record_attempt(
        question_id="q-one", topic="autograd", qtype="multiple_choice", mode="review",
        response=["a"], correct=False, score=0.5, rating=Rating.Again, when=later,
    )  # fmt: skip
    local_card = empty.card("q-one")
    import_progress(empty, parse_document(json.dumps(export_progress(full))))
    assert empty.get_setting("lang") == "en"
    assert empty.card("q-one") == local_card
    assert len(empty.attempts()) == 3


def test_replace_drops_local_progress_first(full, empty):
    empty.toggle_bookmark("local-only")
    import_progress(empty, parse_document(json.dumps(export_progress(full))), replace=True)
    assert empty.bookmarks() == {"q-one"}


def test_invalid_json_names_the_line(tmp_path):
    with pytest.raises(ProgressError, match=r"p\.json:2:\d+: not valid JSON"):
        parse_document('{"format": "quizzer-progress",\n oops}', source="p.json")


def test_a_foreign_document_is_refused():
    with pytest.raises(ProgressError, match="not a quizzer progress file"):
        parse_document('{"cards": []}')


def test_every_problem_is_listed_with_its_path(full):
    doc = export_progress(full)
    doc["attempts"][1]["correct"] = "maybe"
    doc["attempts"][0]["created_at"] = "the day before yesterday"
    doc["cards"][0]["card"] = {"state": 9}
    doc["surprise"] = 1
    with pytest.raises(ProgressError) as info:
        parse_document(json.dumps(doc), source="moved.json")
    message = str(info.value)
    assert message.startswith("moved.json: 4 problem(s)")
    assert "attempts[1].correct" in message
    assert "attempts[0].created_at" in message and "not an ISO-8601 time" in message
    assert "cards[0].card" in message and "not an FSRS card" in message
    assert "surprise" in message


def test_an_invalid_file_writes_nothing(full, empty):
    doc = export_progress(full)
    doc["exams"][0]["time_limit_s"] = -5
    with pytest.raises(ProgressError):
        import_progress(empty, parse_document(json.dumps(doc)))
    assert empty.attempts() == []


# --- the CLI -------------------------------------------------------------------------


@pytest.fixture
def data_env(tmp_path):
    return {"QUIZZER_DATA_DIR": str(tmp_path / "data")}


def test_cli_export_import_round_trip(run_cli, tmp_path, data_env):
    with Store(tmp_path / "data" / "progress.sqlite3") as store:
        fill(store)
    out = tmp_path / "moved.json"
    result = run_cli("progress", "export", out, env=data_env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text())["format"] == "quizzer-progress"

    other = {"QUIZZER_DATA_DIR": str(tmp_path / "other")}
    result = run_cli("progress", "import", out, env=other)
    assert result.exit_code == 0, result.stderr
    assert "2 attempts" in result.stdout
    with Store(tmp_path / "other" / "progress.sqlite3") as store:
        assert len(store.attempts()) == 2
    result = run_cli("progress", "import", out, env=other)
    assert "nothing new" in result.stdout


def test_cli_export_to_stdout(run_cli, data_env):
    result = run_cli("progress", "export", env=data_env)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["attempts"] == []


def test_cli_import_of_a_bad_file_is_exit_2_with_the_reason(run_cli, tmp_path, data_env):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "quizzer-progress", "version": 1, "attempts": [{"uid": 1}]}')
    result = run_cli("progress", "import", bad, env=data_env)
    assert result.exit_code == 2
    assert "bad.json" in result.stderr and "attempts[0]" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_import_of_a_missing_file_is_exit_2(run_cli, tmp_path, data_env):
    result = run_cli("progress", "import", tmp_path / "nope.json", env=data_env)
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_cli_reset_needs_yes_without_a_terminal(run_cli, tmp_path, data_env):
    with Store(tmp_path / "data" / "progress.sqlite3") as store:
        fill(store)
    result = run_cli("progress", "reset", env=data_env)
    assert result.exit_code == 2 and "--yes" in result.stderr
    result = run_cli("progress", "reset", "--yes", env=data_env)
    assert result.exit_code == 0
    backups = list((tmp_path / "data").glob("progress-backup-*.json"))
    assert len(backups) == 1 and len(json.loads(backups[0].read_text())["attempts"]) == 2
    with Store(tmp_path / "data" / "progress.sqlite3") as store:
        assert store.attempts() == []


def test_cli_path_prints_the_database_location(run_cli, tmp_path, data_env):
    result = run_cli("progress", "path", env=data_env)
    assert result.stdout.strip() == str(tmp_path / "data" / "progress.sqlite3")

"""The progress store: schema versions and migrations, settings, answers, the review
schedule, bookmarks, task results and exams."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating, State

from quizzer.store import ProgressError, Store, default_db_path, open_store
from quizzer.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "p.sqlite3") as s:
        yield s


def answer(store, qid="q-one", *, correct=True, rating=Rating.Good, when=T0, mode="practice"):
    return store.record_attempt(
        question_id=qid,
        topic="autograd",
        qtype="single_choice",
        mode=mode,
        response="a",
        correct=correct,
        score=1.0 if correct else 0.0,
        rating=rating,
        when=when,
    )


def test_a_new_database_is_at_the_latest_schema_version(store):
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    assert store.migrated == list(range(1, SCHEMA_VERSION + 1))


def test_opening_again_applies_no_migration(tmp_path):
    Store(tmp_path / "p.sqlite3").close()
    with Store(tmp_path / "p.sqlite3") as again:
        assert again.migrated == []


def test_a_version_1_database_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    conn.execute("INSERT INTO settings (key, value) VALUES ('lang', '\"zh\"')")
    conn.close()
    with Store(path) as store:
        assert store.migrated == list(range(2, SCHEMA_VERSION + 1))
        assert store.get_setting("lang") == "zh"
        store.record_task_result("simple-nn", "submissions/simple_nn.py", "pass")
        assert store.task_passed("simple-nn")


def test_a_database_from_a_newer_quizzer_is_refused_with_advice(tmp_path):
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    with pytest.raises(ProgressError, match=r"schema version \d+.*upgrade quizzer"):
        Store(path)


def test_a_file_that_is_not_a_database_is_a_clear_error_when_not_recovering(tmp_path):
    # (By default it is kept aside and replaced: tests/test_store_recover.py.)
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ProgressError, match=r"garbage.sqlite3 is damaged \(file is not a database"):
        Store(path, recover=False)
    assert path.read_bytes() == b"this is not sqlite at all" * 100


def test_default_location_follows_the_env_override(tmp_path):
    env = {"QUIZZER_DATA_DIR": str(tmp_path / "data")}
    assert default_db_path(env) == tmp_path / "data" / "progress.sqlite3"
    with open_store(env=env) as store:
        assert store.path == tmp_path / "data" / "progress.sqlite3"
    assert (tmp_path / "data" / "progress.sqlite3").exists()


def test_default_location_without_override_is_the_user_data_dir():
    import platformdirs

    expected = platformdirs.user_data_dir("quizzer", appauthor=False)
    assert str(default_db_path({})).startswith(expected)


def test_settings_round_trip_json_values(store):
    assert store.get_setting("lang", "en") == "en"
    store.set_setting("lang", "zh")
    store.set_setting("filters", {"topic": "autograd", "tag": None})
    store.set_setting("lang", "en")
    assert store.get_setting("lang") == "en"
    assert store.settings() == {"lang": "en", "filters": {"topic": "autograd", "tag": None}}


def test_an_attempt_with_a_rating_schedules_a_review(store):
    result = answer(store, rating=Rating.Good)
    card = store.card("q-one")
    assert card is not None and card.due == result.due
    assert result.due is not None and result.due > T0
    (row,) = store.attempts("q-one")
    assert row["correct"] == 1 and row["rating"] == int(Rating.Good) and row["mode"] == "practice"
    assert store.query("SELECT COUNT(*) FROM reviews")[0][0] == 1


def test_an_attempt_without_a_rating_leaves_the_schedule_alone(store):
    answer(store, rating=None)
    assert store.card("q-one") is None
    assert store.scheduled_ids() == set()


def test_due_ids_lists_overdue_questions_first(store):
    answer(store, "q-late", rating=Rating.Again, when=T0)
    answer(store, "q-soon", rating=Rating.Again, when=T0 + timedelta(minutes=5))
    answer(store, "q-easy", rating=Rating.Easy, when=T0)
    assert store.due_ids(T0) == []
    assert store.due_ids(T0 + timedelta(hours=1)) == ["q-late", "q-soon"]
    assert store.scheduled_ids() == {"q-late", "q-soon", "q-easy"}


def test_good_reviews_push_the_due_date_further_each_time(store):
    when = T0
    gaps = []
    for _ in range(4):
        result = answer(store, rating=Rating.Good, when=when)
        assert result.due is not None
        gaps.append(result.due - when)
        when = result.due
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]
    card = store.card("q-one")
    assert card is not None and card.state == State.Review


def test_hints_are_recorded_per_question(store):
    store.record_hint("q-one", 1)
    store.record_hint("q-one", 2)
    store.record_hint("q-two", 1)
    assert store.hints_used("q-one") == 2
    assert store.hints_used("q-none") == 0


def test_bookmarks_toggle(store):
    assert store.toggle_bookmark("q-one") is True
    assert store.bookmarks() == {"q-one"}
    assert store.toggle_bookmark("q-one") is False
    assert store.bookmarks() == set()


def test_task_results_remember_a_pass(store):
    assert store.task_status("simple-nn") is None
    store.record_task_result("simple-nn", "s.py", "fail", "shapes")
    assert not store.task_passed("simple-nn")
    store.record_task_result("simple-nn", "s.py", "pass")
    store.record_task_result("simple-nn", "s.py", "fail")
    assert store.task_passed("simple-nn")
    assert store.task_status("simple-nn") == "fail"


def test_an_exam_records_its_answers_as_exam_attempts_without_scheduling(store):
    answers = [
        {"question_id": "q1", "topic": "t", "type": "true_false", "response": True,
         "correct": True, "score": 1.0, "duration_ms": 1200},
        {"question_id": "q2", "topic": "t", "type": "numeric", "response": None,
         "correct": False, "score": 0.0},
    ]  # fmt: skip
    uid = store.record_exam(
        title="mock", started_at=T0, finished_at=T0 + timedelta(minutes=3),
        time_limit_s=600, score=1.0, max_score=2.0, answers=answers,
    )  # fmt: skip
    (exam,) = store.exams()
    assert exam["uid"] == uid and exam["score"] == 1.0 and exam["max_score"] == 2.0
    assert [a["mode"] for a in store.attempts()] == ["exam", "exam"]
    assert store.scheduled_ids() == set()


def test_unknown_mode_is_refused_before_anything_is_written(store):
    with pytest.raises(ValueError, match="mode"):
        answer(store, mode="cram")
    assert store.attempts() == []


def test_a_failure_inside_a_transaction_rolls_everything_back(store):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction() as conn:
        conn.execute("INSERT INTO bookmarks (question_id, created_at) VALUES ('x', 'y')")
        raise Boom
    assert store.bookmarks() == set()


def test_reset_forgets_everything(store):
    answer(store)
    store.set_setting("lang", "zh")
    store.toggle_bookmark("q-one")
    store.reset()
    assert store.attempts() == [] and store.settings() == {} and store.bookmarks() == set()
    assert store.card("q-one") is None


def test_rating_an_answer_again_schedules_it_from_before_that_answer(store):
    answer(store, rating=Rating.Good, when=T0)
    later = T0 + timedelta(days=3)
    easy = answer(store, rating=Rating.Easy, when=later)
    again = store.rerate_attempt(easy, Rating.Again)
    # The same as if the learner had rated it Again in the first place.
    with Store(store.path.parent / "other.sqlite3") as other:
        answer(other, rating=Rating.Good, when=T0)
        direct = answer(other, rating=Rating.Again, when=later)
    assert again.due == direct.due
    assert store.card("q-one").due == direct.due
    assert store.attempts("q-one")[-1]["rating"] == int(Rating.Again)
    ratings = [r[0] for r in store.query("SELECT rating FROM reviews ORDER BY id")]
    assert ratings == [int(Rating.Good), int(Rating.Again)]


def test_undoing_an_answer_puts_the_schedule_back(store):
    first = answer(store, rating=Rating.Good, when=T0)
    card = store.card("q-one")
    second = answer(store, rating=Rating.Again, when=T0 + timedelta(days=3))
    store.undo_attempt(second)
    assert store.card("q-one").to_dict() == card.to_dict()
    assert store.due_ids(first.due) == ["q-one"]
    assert [a["uid"] for a in store.attempts("q-one")] == [first.uid]
    assert store.query("SELECT COUNT(*) FROM reviews")[0][0] == 1
    store.undo_attempt(first)  # a question seen once goes back to never seen
    assert store.card("q-one") is None
    assert store.attempts("q-one") == []
    assert store.scheduled_ids() == set()

"""Summaries for the home and stats screens: accuracy per topic, days, streaks."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from fsrs import Rating

from quizzer.store import Store
from quizzer.store import stats as st

UTC = timezone.utc
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "p.sqlite3") as s:
        yield s


def add(store, *, qid="q", topic="autograd", correct=True, days_ago=0, ms=1000, rating=None):
    store.record_attempt(
        question_id=qid, topic=topic, qtype="true_false", mode="practice", response=True,
        correct=correct, score=float(correct), duration_ms=ms, rating=rating,
        when=NOW - timedelta(days=days_ago),
    )  # fmt: skip


def test_topic_stats_count_attempts_correct_and_distinct_questions(store):
    add(store, qid="a")
    add(store, qid="a", correct=False)
    add(store, qid="b")
    add(store, qid="c", topic="modules", correct=False)
    result = st.topic_stats(store)
    assert result["autograd"] == st.TopicStats("autograd", 3, 2, 2)
    assert result["autograd"].accuracy == pytest.approx(2 / 3)
    assert result["modules"].accuracy == 0.0
    assert st.question_accuracy(store)["a"] == (2, 1)


def test_daily_buckets_by_calendar_day_with_empty_days(store):
    add(store, days_ago=0, ms=1500)
    add(store, days_ago=0, correct=False, ms=500)
    add(store, days_ago=2)
    add(store, days_ago=20)  # outside the window
    days = st.daily(store, days=3, now=NOW, tz=UTC)
    assert [d.day for d in days] == [date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 10)]
    assert [(d.attempts, d.correct) for d in days] == [(1, 1), (0, 0), (2, 1)]
    assert days[-1].seconds == 2.0 and days[1].accuracy is None


def test_days_follow_the_given_time_zone(store):
    add(store, days_ago=0)  # 12:00 UTC is already the next day at UTC+13
    plus13 = timezone(timedelta(hours=13))
    days = st.daily(store, days=2, now=NOW, tz=plus13)
    assert days[-1].day == date(2025, 3, 11) and days[-1].attempts == 1


def test_streaks_current_and_longest(store):
    for days_ago in (0, 1, 2, 5, 6, 7, 8):
        add(store, days_ago=days_ago)
    assert st.streaks(store, now=NOW, tz=UTC) == st.Streaks(current=3, longest=4)


def test_a_streak_survives_until_today_ends(store):
    add(store, days_ago=1)
    add(store, days_ago=2)
    assert st.streaks(store, now=NOW, tz=UTC).current == 2
    assert st.streaks(store, now=NOW + timedelta(days=1), tz=UTC).current == 0


def test_no_activity_means_no_streak(store):
    assert st.streaks(store, now=NOW) == st.Streaks(0, 0)


def test_summary_totals(store):
    add(store, qid="a", ms=2000)
    add(store, qid="b", correct=False, ms=3000)
    store.record_task_result("simple-nn", "x.py", "pass")
    summary = st.summary(store)
    assert (summary.attempts, summary.correct, summary.seconds) == (2, 1, 5.0)
    assert summary.questions_seen == 2 and summary.tasks_passed == 1 and summary.exams == 0


def test_due_forecast_puts_overdue_reviews_on_today(store):
    add(store, qid="a", days_ago=9, rating=Rating.Again)  # due long ago
    add(store, qid="b", days_ago=0, rating=Rating.Easy)  # due in some days
    forecast = st.due_forecast(store, days=30, now=NOW, tz=UTC)
    assert forecast[0] == (date(2025, 3, 10), 1)
    assert sum(n for _, n in forecast) == 2

"""Study settings (desired retention, daily limits of new questions and reviews):
kept in the store, applied to FSRS and to the sessions home starts, and the day's
counts on home."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from fsrs import Rating
from test_tui_support import drive
from textual.widgets import Input, Static

from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.screens.practice import PracticeScreen
from quizzer.tui.screens.settings import SettingsScreen
from quizzer.tui.study import StudySettings, left_today, today


def answer(rig, qid, *, when, rating=Rating.Good):
    q = rig.bank.get(qid)
    rig.store.record_attempt(
        question_id=qid, topic=q.topic, qtype=q.type, mode="learn", response=None,
        correct=rating >= Rating.Good, score=1.0, rating=rating, when=when,
    )  # fmt: skip


def test_saved_settings_round_trip_and_bad_values_fall_back(rig):
    StudySettings(0.95, 5, 50).save(rig.store)
    assert StudySettings.load(rig.store) == StudySettings(0.95, 5, 50)
    rig.store.set_setting("study", {"retention": 3, "new_per_day": -1, "reviews_per_day": True})
    assert StudySettings.load(rig.store) == StudySettings()


def test_today_counts_new_questions_and_reviews_of_old_ones(rig):
    now = rig.clock.now()
    answer(rig, "pick-one", when=now - timedelta(days=3))  # yesterday's new one...
    answer(rig, "pick-one", when=now)  # ...reviewed today
    answer(rig, "count-params", when=now, rating=Rating.Again)  # new today
    answer(rig, "count-params", when=now + timedelta(minutes=5))  # and again today
    done = today(rig.store, now + timedelta(minutes=10), timezone.utc)
    assert (done.new, done.reviews) == (1, 2)
    assert left_today(StudySettings(0.9, 1, 2), done) == (0, 0)
    assert left_today(StudySettings(0.9, 3, 5), done) == (2, 3)


@pytest.mark.slow
def test_settings_are_edited_in_a_dialog_and_applied(rig):
    async def scenario(app, pilot):
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#retention", Input).value = "1.5"
        await pilot.press("enter")  # Enter in a field saves
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)  # refused: out of range
        assert rig.store.get_setting("study") is None
        app.screen.query_one("#retention", Input).value = "0.95"
        app.screen.query_one("#new-per-day", Input).value = "2"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.store.scheduler.desired_retention == 0.95
        today_line = str(app.screen.query_one("#today-line", Static).content)
        assert today_line.startswith("o  Today: 0/2 new, 0/200 reviews")
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)
        assert len(app.screen.session.ids) == 2  # the day's limit, not the batch of 10

    drive(rig, scenario)
    assert rig.store.get_setting("study") == {
        "retention": 0.95, "new_per_day": 2, "reviews_per_day": 200,
    }  # fmt: skip


@pytest.mark.slow
def test_no_new_questions_past_the_days_limit(rig):
    StudySettings(0.9, 1, 200).save(rig.store)
    answer(rig, "pick-one", when=rig.clock.now())

    async def scenario(app, pilot):
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        notes = [str(n.message) for n in app._notifications]
        assert any("Today's new questions are done (1)" in n for n in notes)

    drive(rig, scenario)


@pytest.mark.slow
def test_reviews_stop_at_the_days_limit(rig):
    StudySettings(0.9, 20, 1).save(rig.store)
    start = rig.clock.now() - timedelta(days=2)
    for qid in ("pick-one", "true-or-false", "count-params"):
        answer(rig, qid, when=start, rating=Rating.Again)

    async def scenario(app, pilot):
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)
        assert app.screen.session.ids == ["count-params"]  # one review allowed today

    drive(rig, scenario)


def test_home_shows_what_is_due_later_today_and_tomorrow(rig):
    from quizzer.store import srs

    now = rig.clock.now()  # 09:00 UTC
    due_at = {
        "pick-one": now - timedelta(minutes=5),  # due now
        "true-or-false": now + timedelta(hours=3),  # later today
        "count-params": now + timedelta(hours=20),  # tomorrow
        "name-method": now + timedelta(days=3),  # later
    }
    for qid, when in due_at.items():
        answer(rig, qid, when=now - timedelta(days=1))
        with rig.store.transaction() as conn:
            conn.execute("UPDATE cards SET due = ? WHERE question_id = ?", (srs.iso(when), qid))

    async def scenario(app, pilot):
        line = str(app.screen.query_one("#today-line", Static).content)
        due_now = str(app.screen.query_one("#due-line", Static).content)
        assert due_now == "r  1 due for review"
        assert line.endswith("due later today: 1, tomorrow: 1"), line

    drive(rig, scenario, tz=timezone.utc)

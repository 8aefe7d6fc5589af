"""The home screen and spaced repetition: topics with counts and accuracy, what is
due, learn new / review due sessions driven by FSRS, filters, bookmarks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_tui_support import CONCEPT_IDS, drive
from textual.widgets import DataTable, Select, Static

from quizzer.tui.screens.filters import FilterScreen
from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.screens.practice import PracticeScreen


def line(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def topic_rows(app) -> dict[str, list[str]]:
    table = app.screen.query_one("#topics", DataTable)
    return {str(row.value): [str(c) for c in table.get_row(row)] for row in table.rows}


def answer(rig, qid, *, correct, when, rating):
    q = rig.bank.get(qid)
    rig.store.record_attempt(
        question_id=qid, topic=q.topic, qtype=q.type, mode="practice", response=None,
        correct=correct, score=float(correct), rating=rating, when=when,
    )  # fmt: skip


def test_home_lists_topics_with_counts_accuracy_and_due(rig):
    from fsrs import Rating

    answer(rig, "pick-one", correct=True, when=rig.clock.now(), rating=Rating.Easy)
    answer(rig, "true-or-false", correct=False, when=rig.clock.now(), rating=Rating.Again)
    rig.clock.advance(3600)  # the wrong one is due again, the easy one in days

    async def scenario(app, pilot):
        assert isinstance(app.screen, HomeScreen)
        rows = topic_rows(app)
        assert rows["*"] == ["All topics", "8", "2", "50%", "1"]
        assert rows["basics"] == ["basics", "4", "2", "50%", "1"]
        assert rows["modules"] == ["modules", "4", "0", "–", "0"]
        assert line(app, "#due-line") == "r  1 due for review"
        assert line(app, "#new-line") == "n  6 new to learn"
        tasks = app.screen.query_one("#tasks", DataTable)
        assert [str(c) for c in tasks.get_row_at(0)] == ["tiny-linear", "TinyLinear", "not tried"]

    drive(rig, scenario)


@pytest.mark.slow
def test_enter_on_a_topic_practises_that_topic(rig):
    async def scenario(app, pilot):
        await pilot.press("down", "down", "enter")  # All topics, basics, modules
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        assert {rig.bank.get(q).topic for q in screen.session.ids} == {"modules"}
        assert screen.session.title == "Practice: modules"

    drive(rig, scenario)


@pytest.mark.slow
def test_learn_new_then_review_when_due(rig):
    async def scenario(app, pilot):
        await pilot.press("r")  # nothing due yet
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("n")
        await pilot.pause()
        learn = app.screen
        assert isinstance(learn, PracticeScreen) and learn.session.mode == "learn"
        assert learn.session.ids[0] == "pick-one"
        rig.clock.advance(30)
        await pilot.press("2", "enter")  # wrong: Again, back in a minute
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert line(app, "#due-line") == "r  0 due for review"
        assert line(app, "#new-line") == "n  7 new to learn"

        rig.clock.advance(120)
        await app.screen.refresh_view()
        assert line(app, "#due-line") == "r  1 due for review"
        await pilot.press("r")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, PracticeScreen) and review.session.ids == ["pick-one"]
        rig.clock.advance(10)
        await pilot.press("1", "enter")
        await pilot.pause()
        await pilot.press("n")  # the end of the review session: its summary
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert line(app, "#due-line") == "r  0 due for review"

    drive(rig, scenario)
    modes = [a["mode"] for a in rig.store.attempts("pick-one")]
    assert modes == ["learn", "review"]
    card = rig.store.card("pick-one")
    assert card is not None and card.due > rig.clock.now() + timedelta(minutes=5)


def test_learn_new_takes_only_unseen_questions_within_the_filters(rig):
    from fsrs import Rating

    answer(rig, "count-params", correct=True, when=rig.clock.now(), rating=Rating.Good)

    async def scenario(app, pilot):
        app.set_filters(app.filters.__class__(topic="modules"))
        await pilot.press("n")
        await pilot.pause()
        ids = app.screen.session.ids
        assert set(ids) == {"name-method", "what-prints", "what-prints-choice"}

    drive(rig, scenario)


@pytest.mark.slow
def test_filters_dialog_narrows_the_bank_and_is_remembered(rig):
    async def scenario(app, pilot):
        await pilot.press("f")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FilterScreen)
        dialog.query_one("#filter-difficulty", Select).value = "easy"
        await pilot.click("#apply")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.filters.difficulty == "easy"
        assert line(app, "#filters-line") == "f  Filters: difficulty=easy"
        assert topic_rows(app)["*"][1] == "4"  # easy questions only
        await pilot.press("n")
        await pilot.pause()
        assert all(rig.bank.get(q).difficulty == "easy" for q in app.screen.session.ids)

    drive(rig, scenario)
    assert rig.store.get_setting("filters") == {"difficulty": "easy"}

    async def restarted(app, pilot):
        assert app.filters.difficulty == "easy"
        await pilot.press("f")
        await pilot.pause()
        await pilot.click("#clear")
        await pilot.pause()
        assert app.filters.active() == {}

    drive(rig, restarted)


def test_bookmarks_session_from_home(rig):
    async def scenario(app, pilot):
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # nothing bookmarked yet
        rig.store.toggle_bookmark("count-params")
        await app.screen.refresh_view()
        assert line(app, "#bookmark-line") == "m  1 bookmarked"
        await pilot.press("m")
        await pilot.pause()
        assert app.screen.session.ids == ["count-params"]

    drive(rig, scenario)


@pytest.mark.slow
def test_the_streak_shows_on_home(rig):
    from fsrs import Rating

    for days in (2, 1, 0):
        answer(rig, "pick-one", correct=True, when=rig.clock.now() - timedelta(days=days),
               rating=Rating.Good)  # fmt: skip

    async def scenario(app, pilot):
        assert line(app, "#streak-line") == "Streak: 3 day(s)"

    drive(rig, scenario)


def test_all_topics_holds_every_concept_question_easy_first(rig):
    async def scenario(app, pilot):
        await pilot.press("enter")
        await pilot.pause()
        ids = app.screen.session.ids
        assert sorted(ids) == sorted(CONCEPT_IDS)
        order = {"easy": 0, "medium": 1, "hard": 2}
        ranks = [order[rig.bank.get(q).difficulty] for q in ids]
        assert ranks == sorted(ranks)

    drive(rig, scenario)


def test_home_counts_agree_with_each_other_under_a_filter(rig):
    """With a filter on, every number on home speaks of the same questions: nothing
    answered means no accuracy, and the due line is what the Due cells add up to."""
    from fsrs import Rating

    from quizzer.tui.session import Filters

    answer(rig, "pick-one", correct=True, when=rig.clock.now(), rating=Rating.Good)
    answer(rig, "true-or-false", correct=False, when=rig.clock.now(), rating=Rating.Again)
    answer(rig, "count-params", correct=False, when=rig.clock.now(), rating=Rating.Again)
    rig.clock.advance(3600)  # the two wrong ones are due again

    async def scenario(app, pilot):
        app.set_filters(Filters(difficulty="medium"))  # count-params, pick-many
        await app.screen.refresh_view()
        rows = topic_rows(app)
        assert rows["*"] == ["All topics", "2", "1", "0%", "1"]
        assert rows["basics"] == ["basics", "1", "0", "–", "0"]
        assert rows["modules"] == ["modules", "1", "1", "0%", "1"]
        assert line(app, "#due-line") == "r  1 due for review"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)
        assert app.screen.session.ids == ["count-params"]

    drive(rig, scenario)

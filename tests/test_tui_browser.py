"""The question browser: search by text (both languages) and id, `is:` terms,
opening a question, bookmarking, suspending (suspended questions leave every
session), and leeches flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fsrs import Rating
from test_tui_support import drive, load_test_bank
from textual.widgets import DataTable, Input, Static

from quizzer.store import Store
from quizzer.tui.screens.browser import BrowserScreen, Marks, search
from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.screens.practice import PracticeScreen
from quizzer.tui.session import Filters, learn_session, practice_session, review_session
from quizzer.tui.study import LEECH_LAPSES, leeches, suspended, toggle_suspended


def no_marks(**given) -> Marks:
    sets = {k: set() for k in ("bookmarked", "suspended", "leech", "due", "scheduled")}
    return Marks(**{**sets, **given})


def ids(found) -> list[str]:
    return [q.id for q in found[0]]


def test_search_matches_text_in_either_language_and_ids(tmp_path):
    bank = load_test_bank(tmp_path)
    assert ids(search(bank, no_marks(), "framework")) == ["pick-one"]  # English prompt
    assert ids(search(bank, no_marks(), "计算图")) == ["pick-one"]  # Chinese prompt
    assert ids(search(bank, no_marks(), "COUNT-params")) == ["count-params"]
    assert ids(search(bank, no_marks(), "nn.Linear 10")) == ["count-params"]  # every word
    assert "tiny-linear" not in ids(search(bank, no_marks(), ""))  # coding tasks are judged


def test_is_terms_match_marks_and_unknown_ones_are_named(tmp_path):
    bank = load_test_bank(tmp_path)
    marks = no_marks(bookmarked={"pick-one", "count-params"}, scheduled={"pick-one"})
    assert ids(search(bank, marks, "is:bookmarked")) == ["pick-one", "count-params"]
    assert ids(search(bank, marks, "is:bookmarked is:new")) == ["count-params"]
    found, unknown = search(bank, marks, "is:starred")
    assert unknown == ["starred"] and found  # an unknown term narrows nothing


def test_suspended_questions_leave_every_session_and_leeches_are_found(tmp_path):
    bank = load_test_bank(tmp_path)
    with Store(tmp_path / "p.sqlite3") as store:
        assert toggle_suspended(store, "pick-one") is True
        assert suspended(store) == {"pick-one"}
        assert "pick-one" not in practice_session(bank, Filters(), "t", suspended(store)).ids
        assert "pick-one" not in learn_session(bank, store, Filters(), "t", limit=99).ids
        from datetime import datetime, timezone

        when = datetime(2025, 1, 1, tzinfo=timezone.utc)
        for i in range(LEECH_LAPSES):
            store.record_attempt(
                question_id="pick-one", topic="basics", qtype="single_choice", mode="review",
                response="b", correct=False, score=0.0, rating=Rating.Again,
                when=when + timedelta(days=i),
            )  # fmt: skip
        assert leeches(store) == {"pick-one"}
        later = when + timedelta(days=30)
        assert "pick-one" not in review_session(bank, store, later, "t").ids
        assert toggle_suspended(store, "pick-one") is False
        assert review_session(bank, store, later, "t").ids == ["pick-one"]


@pytest.mark.slow
def test_the_browser_searches_bookmarks_suspends_and_opens(rig):
    async def scenario(app, pilot):
        await pilot.press("slash")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        await pilot.press(*"params")
        await pilot.pause()
        table = screen.query_one("#results", DataTable)
        assert [str(k.value) for k in table.rows] == ["count-params"]
        assert str(screen.query_one("#browse-count", Static).content) == "1 question(s)"
        await pilot.press("enter")  # from the search box to the list
        await pilot.press("b", "x")
        await pilot.pause()
        assert rig.store.bookmarks() == {"count-params"}
        assert suspended(rig.store) == {"count-params"}
        marks = str(table.get_row("count-params")[4])
        assert "bookmarked" in marks and "suspended" in marks
        await pilot.press("enter")  # open it
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)
        assert app.screen.session.ids == ["count-params"]
        await pilot.press("escape", "escape")  # out of the answer box, back to the list
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert str(app.screen.query_one("#new-line", Static).content) == "n  7 new to learn"

    drive(rig, scenario)


def test_the_search_box_takes_letters_that_are_commands_elsewhere(rig):
    async def scenario(app, pilot):
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"bxlq")
        await pilot.pause()
        assert app.screen.query_one("#search", Input).value == "bxlq"
        assert app.lang == "en" and rig.store.bookmarks() == set()

    drive(rig, scenario)

"""Concept practice, driven with the keyboard: every question type answered right
and wrong, hints, timing and the rating it earns, navigation, bookmarks, the end of
a session and continuing where one left off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fsrs import Rating
from test_tui_support import drive
from textual.widgets import Input, Markdown, Static, TextArea

from quizzer.tui.app import QuizzerApp
from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.screens.practice import PracticeScreen
from quizzer.tui.session import Session
from quizzer.tui.widgets.answers import AnswerSubmitted, question_of_widget
from quizzer.tui.widgets.choices import ChoiceList


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_questions(app, pilot, *ids: str, mode: str = "practice") -> PracticeScreen:
    app.open_session(Session(mode, "test", list(ids)))
    await pilot.pause()
    assert isinstance(app.screen, PracticeScreen)
    return app.screen


def answered(rig):
    return rig.of(QuizzerApp.Answered)


# --- every type, right and wrong ----------------------------------------------------

CASES = [
    # (question id, keys for a right answer, keys for a wrong answer); the quick loop
    # (make test-fast) answers one choice, one typed and one code_output question
    ("pick-one", ["1", "enter"], ["2", "enter"]),
    pytest.param("pick-many", ["1", "2", "enter"], ["1", "3", "enter"], marks=pytest.mark.slow),
    pytest.param("true-or-false", ["2", "enter"], ["1", "enter"], marks=pytest.mark.slow),
    ("count-params", [*"55", "enter"], [*"50", "enter"]),
    pytest.param(
        "name-method", [*"Zero_Grad()", "enter"], [*"backward", "enter"], marks=pytest.mark.slow
    ),
    ("what-prints", ["3", "ctrl+s"], ["2", "ctrl+s"]),
    pytest.param("what-prints-choice", ["1", "enter"], ["2", "enter"], marks=pytest.mark.slow),
]


@pytest.mark.parametrize(
    ("qid", "right", "wrong"),
    CASES,
    ids=[c.values[0] if hasattr(c, "values") else c[0] for c in CASES],
)
@pytest.mark.parametrize("outcome", ["right", pytest.param("wrong", marks=pytest.mark.slow)])
def test_each_type_is_answered_with_its_widget_and_graded(rig, qid, right, wrong, outcome):
    keys = right if outcome == "right" else wrong

    async def scenario(app, pilot):
        await open_questions(app, pilot, qid)
        await pilot.press(*keys)
        await pilot.pause()
        verdict = text_of(app, "#verdict")
        assert ("Right" in verdict) == (outcome == "right")
        # The explanation is shown after any answer.
        assert app.screen.query("#feedback Markdown")

    drive(rig, scenario)
    (attempt,) = rig.store.attempts(qid)
    assert bool(attempt["correct"]) == (outcome == "right")
    assert attempt["mode"] == "practice"
    assert rig.store.card(qid) is not None  # every answer moves the review schedule
    (message,) = answered(rig)
    assert message.question_id == qid and message.grade.correct == (outcome == "right")


def test_a_wrong_answer_shows_the_right_one_and_what_was_off(rig):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "count-params")
        await pilot.press("5", "0", "enter")
        await pilot.pause()
        feedback = " ".join(str(s.content) for s in app.screen.query("#feedback Static"))
        assert "Answer: 55" in feedback
        assert "off by 5" in feedback

    drive(rig, scenario)


def test_choice_widgets_take_number_keys_and_mark_right_and_wrong(rig):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "pick-many")
        choices = app.screen.query_one(ChoiceList)
        assert app.focused is choices
        await pilot.press("1", "3", "3", "2")
        assert choices.value() == ["a", "b"]
        await pilot.press("1")  # toggles a off again
        assert choices.value() == ["b"]
        await pilot.press("enter")
        await pilot.pause()
        frozen = app.screen.query_one(ChoiceList)
        assert frozen.locked and frozen.right == {"a", "b"}
        assert "Partly right" in text_of(app, "#verdict")

    drive(rig, scenario)
    (attempt,) = rig.store.attempts("pick-many")
    assert attempt["score"] == 0.5 and attempt["rating"] == int(Rating.Hard)


def test_code_output_shows_the_snippet_highlighted(rig):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "what-prints")
        code = app.screen.query_one("#code", Static)
        from rich.syntax import Syntax

        assert isinstance(code.content, Syntax)
        assert "torch.ones(2, 3)" in code.content.code
        assert isinstance(app.focused, TextArea)

    drive(rig, scenario)


def test_an_empty_answer_is_not_graded(rig):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "pick-one")
        await pilot.press("enter")
        await pilot.pause()
        assert not app.screen.query("#feedback")

    drive(rig, scenario)
    assert rig.store.attempts() == []


@pytest.mark.parametrize(("ticks", "correct", "rating"), [
    (["1", "2"], True, Rating.Good), (["1"], False, Rating.Hard), ([], False, Rating.Again),
])  # fmt: skip
@pytest.mark.slow
def test_open_questions_reveal_the_model_answer_and_are_self_rated(rig, ticks, correct, rating):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "explain-graphs")
        await pilot.press(*"built as it runs", "ctrl+s")
        await pilot.pause()
        model = app.screen.query_one("#model-answer", Markdown)
        assert model.source == "The graph is built as the code runs."
        rubric = app.screen.query_one("#rubric", ChoiceList)
        assert app.focused is rubric
        rig.clock.advance(60)  # a normal pace for an open question
        await pilot.press(*ticks, "enter")
        await pilot.pause()

    drive(rig, scenario)
    (attempt,) = rig.store.attempts("explain-graphs")
    assert attempt["response"] == '"built as it runs"'
    assert bool(attempt["correct"]) == correct and attempt["rating"] == int(rating)


# --- hints and timing -----------------------------------------------------------------


@pytest.mark.slow
def test_hints_come_in_tiers_and_each_is_recorded(rig):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "pick-one")
        await pilot.press("h")
        await pilot.pause()
        hints = [str(h.content) for h in app.screen.query(".hint")]
        assert hints == ["Hint 1/2: Think define-by-run."]
        await pilot.press("h", "h")
        await pilot.pause()
        assert len(app.screen.query(".hint")) == 2
        await pilot.press("1", "enter")
        await pilot.pause()

    drive(rig, scenario)
    assert rig.store.hints_used("pick-one") == 2
    (attempt,) = rig.store.attempts("pick-one")
    # Right, but with hints: it comes back sooner.
    assert attempt["hints_used"] == 2 and attempt["rating"] == int(Rating.Hard)


def _seen_before(rig, qid: str) -> None:
    """An answer from a month ago: the question is no longer new."""
    q = rig.bank.get(qid)
    rig.store.record_attempt(
        question_id=qid, topic=q.topic, qtype=q.type, mode="practice", response="a",
        correct=True, score=1.0, rating=Rating.Good, when=rig.clock.now() - timedelta(days=30),
    )  # fmt: skip


@pytest.mark.parametrize(("seen", "seconds", "rating"), [
    (True, 5, Rating.Easy),
    pytest.param(True, 30, Rating.Good, marks=pytest.mark.slow),
    pytest.param(True, 90, Rating.Hard, marks=pytest.mark.slow),
    # a quick right answer to a new question may be a guess
    pytest.param(False, 5, Rating.Good, marks=pytest.mark.slow),
])  # fmt: skip
def test_time_taken_shapes_the_rating(rig, seen, seconds, rating):
    if seen:
        _seen_before(rig, "pick-one")

    async def scenario(app, pilot):
        await open_questions(app, pilot, "pick-one")
        rig.clock.advance(seconds)
        await pilot.press("1", "enter")
        await pilot.pause()
        note = text_of(app, "#schedule-note")
        assert f"Counted as {rating.name.lower()}" in note

    drive(rig, scenario)
    attempt = rig.store.attempts("pick-one")[-1]
    assert attempt["rating"] == int(rating) and attempt["duration_ms"] == seconds * 1000


@pytest.mark.slow
def test_the_learner_rates_the_answer_and_takes_it_back(rig):
    """After seeing the answer, 1-4 replace the automatic rating (the schedule
    follows); u takes the answer back: nothing recorded, the question open again."""

    async def scenario(app, pilot):
        await open_questions(app, pilot, "pick-one", "true-or-false")
        rig.clock.advance(5)
        await pilot.press("1", "enter")  # right and quick: counted as good
        await pilot.pause()
        assert "Counted as good" in text_of(app, "#schedule-note")
        good_due = rig.store.card("pick-one").due
        await pilot.press("1")  # "again": I guessed
        await pilot.pause()
        assert "Counted as again" in text_of(app, "#schedule-note")
        assert rig.store.card("pick-one").due < good_due
        assert rig.store.attempts("pick-one")[-1]["rating"] == int(Rating.Again)
        await pilot.press("4")
        await pilot.pause()
        assert rig.store.card("pick-one").due > good_due
        await pilot.press("n")  # move on, then take the first answer back from there
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        screen = app.screen
        assert screen.session.current_id == "pick-one"
        assert not screen.session.current.answered
        assert not app.screen.query("#feedback")
        await pilot.press("u")  # nothing more to take back
        await pilot.pause()

    drive(rig, scenario)
    assert rig.store.attempts("pick-one") == []
    assert rig.store.card("pick-one") is None


# --- navigation, bookmarks, the end of a session ------------------------------------


@pytest.mark.slow
def test_next_previous_and_skip(rig):
    async def scenario(app, pilot):
        screen = await open_questions(app, pilot, "pick-one", "true-or-false", "pick-many")
        await pilot.press("1", "enter")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert screen.session.current_id == "true-or-false"
        await pilot.press("s")  # skip: to the end of the queue
        await pilot.pause()
        assert screen.session.ids == ["pick-one", "pick-many", "true-or-false"]
        assert screen.session.current_id == "pick-many"
        await pilot.press("p")
        await pilot.pause()
        # Back on an answered question: its feedback is there, its widget frozen.
        assert screen.session.current_id == "pick-one"
        assert "Right" in text_of(app, "#verdict")
        assert app.screen.query_one(ChoiceList).locked
        await pilot.press("p")
        await pilot.pause()
        assert screen.session.current_id == "pick-one"

    drive(rig, scenario)


@pytest.mark.slow
def test_bookmarks_toggle_from_the_question(rig):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "pick-one")
        await pilot.press("b")
        await pilot.pause()
        assert "bookmarked" in text_of(app, "#position")
        assert rig.store.bookmarks() == {"pick-one"}
        await pilot.press("b")
        await pilot.pause()
        assert "bookmarked" not in text_of(app, "#position")

    drive(rig, scenario)
    assert rig.store.bookmarks() == set()


@pytest.mark.slow
def test_a_missed_question_comes_back_then_the_summary_shows_the_session(rig):
    """Wrong answers are asked once more before the session ends (learning steps);
    then a summary: first answers' score, time, due tomorrow, the missed questions
    (Enter opens one again); Escape goes home."""
    from quizzer.tui.screens.summary import SummaryScreen

    async def scenario(app, pilot):
        screen = await open_questions(app, pilot, "pick-one", "true-or-false")
        rig.clock.advance(12)
        await pilot.press("1", "enter", "n")  # right
        await pilot.pause()
        rig.clock.advance(8)
        await pilot.press("1", "enter")  # "true": wrong, so it is due again in minutes
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen  # not done: the missed one comes back
        assert screen.session.current_id == "true-or-false"
        assert not screen.session.current.answered
        await pilot.press("2", "enter")  # right this time
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        assert text_of(app, "#summary-score") == "Score: 1.0 of 2 (first answers)"
        assert text_of(app, "#summary-time") == "Time spent: 0:20"
        # Both are new cards in FSRS's learning steps: due again within minutes.
        assert text_of(app, "#summary-tomorrow") == "Due by the end of tomorrow: 2"
        table = app.screen.query_one("#missed")
        assert [str(k.value) for k in table.rows] == ["true-or-false"]
        assert rig.store.get_setting("resume") is None  # nothing left to continue
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)
        assert app.screen.session.ids == ["true-or-false"]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

    drive(rig, scenario)
    assert len(rig.store.attempts("true-or-false")) == 2


@pytest.mark.slow
def test_leaving_keeps_a_typed_answer_for_when_you_come_back(rig):
    async def scenario(app, pilot):
        screen = await open_questions(app, pilot, "count-params", "pick-one")
        await pilot.press("4", "2", "escape", "n")  # escape leaves the field
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert screen.query_one(Input).value == "42"

    drive(rig, scenario)
    assert rig.store.attempts() == []


@pytest.mark.slow
def test_continue_where_you_left_off_survives_a_restart(rig):
    async def first(app, pilot):
        await pilot.press("enter")  # the "All topics" row
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        assert screen.session.ids[0] == "pick-one"  # easy questions come first
        await pilot.press("1", "enter", "n")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert "Continue: Practice: All topics (1/8)" in text_of(app, "#continue-line")

    drive(rig, first)

    async def second(app, pilot):
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        assert screen.session.current_id == screen.session.ids[1]
        await pilot.press("p")
        await pilot.pause()
        assert "earlier" in " ".join(str(s.content) for s in screen.query(".dim"))

    drive(rig, second)


def test_an_answer_is_bound_to_the_question_it_was_typed_for(rig):
    """Enter and n pressed together: the submission is handled after the screen moved
    on. The answer is recorded against the question it was typed for, never against
    the next one, and the next question's box stays empty."""

    async def scenario(app, pilot):
        screen = await open_questions(app, pilot, "count-params", "name-method")
        await pilot.press(*"55")
        box = screen.query_one("#answer")
        box.post_message(AnswerSubmitted("55", question_of_widget(box)))  # Enter
        await screen.action_next()  # n, handled first
        await pilot.pause()
        assert screen.session.current_id == "name-method"
        assert str(screen.query_one("#answer").value) == ""
        assert not screen.query("#verdict")  # the question on screen is still open

    drive(rig, scenario)
    (attempt,) = rig.store.attempts("count-params")
    assert bool(attempt["correct"]) and attempt["response"] in ("55", 55, '"55"')
    assert rig.store.attempts("name-method") == []
    (message,) = answered(rig)
    assert message.question_id == "count-params"


@pytest.mark.slow
@pytest.mark.parametrize("qid", ["name-method", "what-prints"])
def test_typing_an_answer_never_runs_a_command(rig, qid):
    """After a hint the answer box has the focus again; with the box left (Escape),
    letters that are no command, and Enter, go back to it: typing MulBackward0
    neither switches the language (l) nor quits (q would, but it is typed inside)."""

    async def scenario(app, pilot):
        screen = await open_questions(app, pilot, qid)
        box = screen.query_one("#answer")
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("M")  # no command: into the box
        assert app.focused is box
        await pilot.press(*"ulBackward0")
        await pilot.press("escape", "enter")  # Enter: back into the box
        assert app.focused is box
        await pilot.press(*"lq")
        await pilot.pause()
        assert app.lang == "en" and app.is_running
        text = box.value if isinstance(box, Input) else box.text
        assert text == "MulBackward0lq"

    drive(rig, scenario)


def test_digits_typed_with_the_box_left_go_into_a_numeric_answer(rig):
    """1-4 rate an answer once it is in; before that they are the answer's digits."""

    async def scenario(app, pilot):
        screen = await open_questions(app, pilot, "count-params")
        await pilot.press("escape", "5", "5")
        assert screen.query_one(Input).value == "55"

    drive(rig, scenario)


def test_a_hint_gives_the_answer_box_its_focus_back(rig):
    async def scenario(app, pilot):
        screen = await open_questions(app, pilot, "count-params")
        await pilot.press("escape", "h")
        await pilot.pause()
        assert len(screen.query(".hint")) == 1
        await pilot.press(*"55")
        assert screen.query_one(Input).value == "55"

    drive(rig, scenario)


@pytest.mark.slow
def test_feedback_names_options_by_their_number_on_screen(rig):
    async def scenario(app, pilot):
        await open_questions(app, pilot, "pick-one")
        await pilot.press("2", "enter")  # Theano: wrong
        await pilot.pause()
        feedback = " ".join(str(s.content) for s in app.screen.query("#feedback Static"))
        assert "'2' is not the right option" in feedback
        assert "Answer: 1: PyTorch (eager)" in feedback
        assert "'b'" not in feedback and "a: " not in feedback

    drive(rig, scenario)

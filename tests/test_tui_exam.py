"""Exam mode end to end: set-up, a timed run with no feedback, the score breakdown,
exporting the answers, and the clock running out."""

from __future__ import annotations

import json

import pytest
from test_tui_support import drive
from textual.widgets import DataTable, Input, Static

from quizzer.tui.exam import ExamPlan
from quizzer.tui.screens.confirm import ConfirmScreen
from quizzer.tui.screens.exam import ExamScreen
from quizzer.tui.screens.exam_result import ExamResultScreen
from quizzer.tui.screens.exam_setup import ExamSetupScreen
from quizzer.tui.screens.home import HomeScreen

PLAN = ExamPlan("mock", ("pick-one", "count-params", "pick-many", "true-or-false"), 600)


def status(app) -> str:
    return str(app.screen.query_one("#exam-status", Static).content)


@pytest.mark.slow
def test_an_exam_runs_end_to_end_without_feedback(rig):
    async def scenario(app, pilot):
        screen = app.screen
        assert isinstance(screen, ExamScreen)
        assert status(app) == "10:00 left · 0/4 answered"
        await pilot.press("1")  # pick-one: right; picked, not yet graded
        assert not app.screen.query("#feedback") and not app.screen.query("#verdict")
        await pilot.press("enter")  # Enter keeps the answer and moves on
        await pilot.pause()
        rig.clock.advance(75)
        await pilot.press(*"54", "enter")  # count-params: wrong
        await pilot.pause()
        await pilot.press("1", "2", "enter")  # pick-many: right
        await pilot.pause()
        await screen.tick()
        assert status(app) == "08:45 left · 3/4 answered"
        await pilot.press("p")  # back to pick-many: the picks are still there
        await pilot.pause()
        assert app.screen.query_one("#answer").value() == ["a", "b"]
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "3 of 4 answered" in str(app.screen.query_one("#confirm-question", Static).content)
        await pilot.press("y")
        await pilot.pause()
        result_screen = app.screen
        assert isinstance(result_screen, ExamResultScreen)
        score = str(result_screen.query_one("#exam-score", Static).content)
        assert score.startswith("Score: 2.0/4 (50%) in 1:15")
        table = result_screen.query_one("#exam-answers", DataTable)
        marks = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert marks == ["✔", "✘", "✔", "✘"]
        await pilot.press("x")
        await pilot.pause()
        assert result_screen.exported_to is not None
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

    drive(rig, scenario, exam=PLAN)
    (exported,) = (rig.root / "exports").glob("exam-*.json")
    doc = json.loads(exported.read_text())
    assert doc["format"] == "quizzer-exam-answers" and doc["score"] == 2.0
    assert [a["response"] for a in doc["answers"]] == ["a", "54", ["a", "b"], None]
    assert doc["by_topic"] == {
        "basics": {"score": 2.0, "total": 3},
        "modules": {"score": 0.0, "total": 1},
    }
    (exam,) = rig.store.exams()
    assert exam["title"] == "mock" and exam["score"] == 2.0 and exam["max_score"] == 4.0
    attempts = rig.store.attempts()
    assert [a["mode"] for a in attempts] == ["exam"] * 4
    assert rig.store.scheduled_ids() == set()  # an exam does not move reviews


def test_the_exam_ends_itself_when_time_is_up(rig):
    async def scenario(app, pilot):
        screen = app.screen
        await pilot.press("2")
        rig.clock.advance(601)
        await screen.tick()
        await pilot.pause()
        assert isinstance(app.screen, ExamResultScreen)
        assert app.screen.result.timed_out
        assert app.screen.result.score == 0.0

    drive(rig, scenario, exam=ExamPlan("short", ("pick-one", "true-or-false"), 600))
    (exam,) = rig.store.exams()
    assert json.loads(exam["answers"])[0]["response"] == "b"


@pytest.mark.slow
def test_an_exam_is_set_up_from_home_over_the_filters(rig):
    async def scenario(app, pilot):
        app.set_filters(app.filters.__class__(topic="basics"))
        await pilot.press("e")
        await pilot.pause()
        setup = app.screen
        assert isinstance(setup, ExamSetupScreen)
        setup.query_one("#exam-count", Input).value = "3"
        setup.query_one("#exam-minutes", Input).value = "5"
        await pilot.press("enter")
        await pilot.pause()
        exam = app.screen
        assert isinstance(exam, ExamScreen)
        assert len(exam.plan.question_ids) == 3 and exam.plan.time_limit_s == 300
        # Open questions are self-assessed, so an exam does not draw them.
        assert "explain-graphs" not in exam.plan.question_ids
        assert {rig.bank.get(q).topic for q in exam.plan.question_ids} == {"basics"}

    drive(rig, scenario)


@pytest.mark.slow
def test_bad_numbers_in_the_setup_are_refused(rig):
    async def scenario(app, pilot):
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#exam-count", Input).value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExamSetupScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

    drive(rig, scenario)


def test_sampling_is_repeatable_with_a_seed(rig):
    from quizzer.tui.session import Filters

    one = ExamPlan.sample(rig.bank, Filters(), 4, 10, "a", seed=7)
    two = ExamPlan.sample(rig.bank, Filters(), 4, 10, "a", seed=7)
    assert one == two and len(set(one.question_ids)) == 4
    everything = ExamPlan.sample(rig.bank, Filters(), 99, 10, "a", seed=1)
    assert len(everything.question_ids) == 7  # every concept question but the open one


@pytest.mark.slow
def test_the_clock_running_out_on_its_own_shows_the_result_without_a_crash(rig):
    """The exam's own timer (not a direct call) ends it: the result screen appears and
    the app keeps running (it used to crash tearing down the header)."""
    from test_tui_support import wait_for

    seen = {}

    async def scenario(app, pilot):
        rig.clock.advance(601)
        await wait_for(pilot, lambda: isinstance(app.screen, ExamResultScreen), timeout=15)
        await pilot.pause(0.3)
        seen["running"] = app.is_running
        seen["timed_out"] = app.screen.result.timed_out

    app = drive(rig, scenario, exam=ExamPlan("short", ("pick-one", "true-or-false"), 600))
    assert seen == {"running": True, "timed_out": True}
    assert app.return_code in (None, 0)
    assert len(rig.store.exams()) == 1


@pytest.mark.slow
def test_quitting_during_an_exam_asks_first(rig):
    """q in a running exam asks before the exam is thrown away; no keeps it going."""
    seen = {}

    async def scenario(app, pilot):
        await pilot.press("1")  # an answer that would be lost
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#confirm-question", Static).content)
        assert "1 of 4 answered" in question
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ExamScreen) and app.is_running
        assert app.screen.answers[0].answered  # nothing was lost
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        seen["running"] = app.is_running

    drive(rig, scenario, exam=PLAN)
    assert seen == {"running": False}
    assert rig.store.exams() == []  # quitting records no exam

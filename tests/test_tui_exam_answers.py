"""The exam result opens each question: Enter on a row shows the question as it was
asked, the answer given, the right one and the explanation (the practice screen's
`Feedback`); n and p step through the questions, Escape goes back to the list. An exam
that does not reveal its answers (a hiring screen's) opens nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_tui_support import T0, drive
from textual.widgets import DataTable, Footer, Markdown, Static

from quizzer.tui.exam import ExamAnswer, ExamPlan, grade_exam
from quizzer.tui.screens.exam_answer import ExamAnswerScreen
from quizzer.tui.screens.exam_result import ExamResultScreen
from quizzer.tui.widgets.feedback import Feedback

pytestmark = pytest.mark.slow  # each test drives the whole app (Pilot)

PLAN = ExamPlan("mock", ("pick-one", "count-params", "pick-many", "true-or-false"), 600)


def finished_exam(rig, plan: ExamPlan, responses: list) -> ExamResultScreen:
    answers = [
        ExamAnswer(rig.bank.get(qid), response)
        for qid, response in zip(plan.question_ids, responses, strict=True)
    ]
    result = grade_exam(plan, answers, T0, T0 + timedelta(seconds=90))
    return ExamResultScreen(result)


def shown(screen) -> dict[str, str]:
    """What the open question shows: its prompt, the answer given, the verdict, the
    right answer and the explanation."""
    feedback = screen.query_one(Feedback)
    lines = [str(s.content) for s in feedback.query(Static).results(Static)]
    return {
        "title": str(screen.query_one("#answer-title", Static).content),
        "prompt": screen.query_one("#prompt", Markdown).source,
        "yours": str(screen.query_one("#your-answer", Static).content),
        "verdict": str(feedback.query_one("#verdict", Static).content),
        "feedback": "\n".join(lines),
        "explanation": "\n".join(m.source for m in feedback.query(Markdown).results(Markdown)),
    }


def test_enter_opens_a_question_with_the_answer_and_the_explanation(rig):
    async def scenario(app, pilot):
        await app.push_screen(finished_exam(rig, PLAN, ["a", "54", ["a"], None]))
        await pilot.pause()
        await pilot.press("down", "enter")  # the second row
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExamAnswerScreen)
        view = shown(screen)
        assert view["title"] == "Question 2 of 4 · count-params"
        assert view["prompt"] == "How many parameters has nn.Linear(10, 5)?"
        assert view["yours"] == "Your answer: 54"
        assert view["verdict"] == "✘ Not quite"
        assert "55" in view["feedback"]
        assert "50 weights and 5 biases." in view["explanation"]
        assert not screen.query("#how")  # the "type a number" line is for answering

        await pilot.press("n")
        await pilot.pause()
        view = shown(screen)
        assert view["title"] == "Question 3 of 4 · pick-many"
        assert view["yours"] == "Your answer: 1: x.detach()"
        assert view["verdict"] == "◐ Partly right (50%)"
        assert "clone() stays in the graph." in view["explanation"]

        await pilot.press("n")
        await pilot.pause()
        assert shown(screen)["yours"] == "Your answer: (no answer)"
        await pilot.press("n")  # past the last: stays
        await pilot.pause()
        assert shown(screen)["title"] == "Question 4 of 4 · true-or-false"

        footer = [b.binding.description for b in app.screen.active_bindings.values()]
        assert {"Next", "Previous", "Back"} <= set(footer)  # the modal's own keys
        assert screen.query(Footer)  # shown in its own footer (the app's keys do not apply)

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExamResultScreen)
        await pilot.press("enter")  # the row under the cursor, still the second
        await pilot.pause()
        assert shown(app.screen)["title"] == "Question 2 of 4 · count-params"
        await pilot.press("p")
        await pilot.pause()
        view = shown(app.screen)
        assert view["yours"] == "Your answer: 1: PyTorch (eager)"
        assert view["verdict"] == "✔ Right"
        assert "PyTorch records operations as they run." in view["explanation"]
        assert "Autograd mechanics" in view["explanation"]  # the references

    drive(rig, scenario)


def test_the_question_opens_in_the_current_language(rig):
    async def scenario(app, pilot):
        await pilot.press("l")
        await app.push_screen(finished_exam(rig, PLAN, ["b", "55", ["a", "b"], False]))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        view = shown(app.screen)
        assert view["title"] == "第 1/4 题 · pick-one"
        assert view["prompt"] == "哪个框架在代码运行时构建计算图？"
        assert view["yours"] == "你的答案：2: Theano"
        assert "PyTorch 在运算执行时记录它们。" in view["explanation"]
        await pilot.press("n", "n")
        await pilot.pause()
        assert shown(app.screen)["yours"] == "你的答案：1: x.detach(); 2: torch.no_grad()"
        await pilot.press("n")
        await pilot.pause()
        assert shown(app.screen)["yours"] == "你的答案：错误"

    drive(rig, scenario)


def test_only_an_exam_that_reveals_its_answers_opens_them(rig):
    hidden = ExamPlan("screen", PLAN.question_ids, 600, reveal=False)

    async def scenario(app, pilot):
        result = finished_exam(rig, PLAN, ["a", "54", None, None])
        await app.push_screen(result)
        await pilot.pause()
        assert app.focused is result.query_one("#exam-answers", DataTable)
        hint = "Enter opens a question with your answer, the right one and the explanation."
        assert hint in [str(s.content) for s in result.query(Static).results(Static)]
        await app.pop_screen()
        secret = finished_exam(rig, hidden, ["a", "54", None, None])
        await app.push_screen(secret)
        await pilot.pause()
        assert not secret.query(DataTable)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is secret
        secret.open_answer(0)  # even asked directly, a hidden exam opens nothing
        await pilot.pause()
        assert app.screen is secret

    drive(rig, scenario)

"""`ExamAnswerScreen`: one question of a finished exam, opened with Enter from the
result's list: the question as it was asked (`question_body`), the answer given, and
the grade with the right answer, the explanation and the references (`Feedback`, as
the practice screen shows them). n / p step to the next or previous question, Escape
goes back to the list. Pushed by the exam result screen, only when the exam reveals
its answers (a hiring screen's does not).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from quizzer.bank.grading import Grade, grade
from quizzer.bank.models import Question
from quizzer.tui.base import LocalModal
from quizzer.tui.exam import ExamAnswer
from quizzer.tui.i18n import tr
from quizzer.tui.widgets.answers import choice_items, response_to_picks
from quizzer.tui.widgets.feedback import Feedback
from quizzer.tui.widgets.footer import KeysFooter
from quizzer.tui.widgets.question import question_body


def exam_grade(question: Question, response: Any, lang: str) -> Grade:
    """The grade in `lang`, as the exam counted it (`quizzer.tui.exam.grade_exam`):
    options named by their numbers on screen, an open question scoring 0 (nobody
    self-assesses in an exam)."""
    result = grade(question, response, lang, numbered=True)
    if result.self_assess:
        return Grade(False, 0.0, result.expected, result.feedback, self_assess=True)
    return result


def answer_text(answer: ExamAnswer, lang: str) -> str:
    """The answer given, in words: each picked option by its number on screen and its
    text (true or false by the word), else what was typed."""
    if not answer.answered:
        return tr("exam.unanswered", lang)
    question, response = answer.question, answer.response
    items = choice_items(question, lang)
    if items is None:
        return str(response)
    numbered = {oid: (n, label) for n, (oid, label) in enumerate(items, start=1)}
    picks = [numbered.get(p) for p in response_to_picks(question, response)]
    if not all(picks):  # a pick that is no option (an old answers file): as it was
        return str(response)
    if isinstance(response, bool):
        return "; ".join(label for _, label in picks)  # type: ignore[misc]
    return "; ".join(f"{n}: {label}" for n, label in picks)  # type: ignore[misc]


class ExamAnswerScreen(LocalModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,right", "move(1)", "key.next"),
        Binding("p,left", "move(-1)", "key.prev"),
        Binding("escape,q", "close", "key.back"),
    ]

    def __init__(self, answers: list[ExamAnswer], index: int) -> None:
        super().__init__(classes="dialog-screen")
        self.answers = answers
        self.index = index

    @property
    def answer(self) -> ExamAnswer:
        return self.answers[self.index]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(self._title(), id="answer-title", classes="heading", markup=False)
            with VerticalScroll(id="answer-body"):
                yield from self._body()
        yield KeysFooter()  # a modal's keys are its own: n, p and Escape

    def _title(self) -> str:
        return self.t(
            "exam.answer_title", i=self.index + 1, n=len(self.answers), id=self.answer.question.id
        )

    def _body(self) -> list[Widget]:
        question, lang = self.answer.question, self.lang
        # The one-line instruction ("type a number") is for answering, not reviewing.
        asked = list(question_body(question, lang, dark=self.app.current_theme.dark))
        yours = self.t("exam.your_answer", answer=answer_text(self.answer, lang))
        return [
            *(w for w in asked if w.id != "how"),
            Static(yours, id="your-answer", markup=False),
            Feedback(question, exam_grade(question, self.answer.response, lang), lang),
        ]

    async def action_move(self, step: int) -> None:
        target = self.index + step
        if not 0 <= target < len(self.answers):
            return
        self.index = target
        self.query_one("#answer-title", Static).update(self._title())
        body = self.query_one("#answer-body", VerticalScroll)
        await body.remove_children()
        await body.mount_all(self._body())
        body.scroll_home(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

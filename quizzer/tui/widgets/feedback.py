"""`Feedback`: what the learner sees after answering: right or wrong, the right
answer, what was off (or, for an answer accepted after normalising its spacing, that
note and the exact form), the explanation and the references, and when the question
comes back for review. Used by the practice screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static

from quizzer.bank.grading import Grade
from quizzer.bank.models import Question, text_in
from quizzer.tui.i18n import tr


def verdict(grade: Grade, lang: str) -> tuple[str, str]:
    """(text, css class) for a grade."""
    if grade.correct:
        return tr("q.right", lang), "-right"
    if grade.score > 0:
        return tr("q.partial", lang, score=grade.score), "-partial"
    return tr("q.wrong", lang), "-wrong"


def references_markdown(question: Question) -> str:
    return "\n".join(f"- [{r.title}]({r.url})" for r in question.references)


class Feedback(Vertical):
    DEFAULT_CSS = """
    Feedback { height: auto; border: round $secondary; padding: 0 1; margin-top: 1; }
    Feedback > .verdict { text-style: bold; }
    Feedback > .verdict.-right { color: $success; }
    Feedback > .verdict.-wrong { color: $error; }
    Feedback > .verdict.-partial { color: $warning; }
    Feedback > .heading { text-style: bold; margin-top: 1; }
    Feedback > Markdown { margin: 0; padding: 0; }
    """

    def __init__(
        self, question: Question, grade: Grade, lang: str, schedule_note: str | None = None
    ) -> None:
        super().__init__(id="feedback")
        self.question = question
        self.grade = grade
        self.lang = lang
        self.schedule_note = schedule_note

    def compose(self) -> ComposeResult:
        lang, grade, question = self.lang, self.grade, self.question
        text, cls = verdict(grade, lang)
        yield Static(text, classes=f"verdict {cls}", markup=False, id="verdict")
        if not grade.correct and not grade.self_assess:
            yield Static(tr("q.expected", lang, expected=grade.expected), markup=False)
            if grade.feedback:
                yield Static(grade.feedback, markup=False, classes="dim")
        elif grade.self_assess and not grade.correct and grade.feedback:
            yield Static(grade.feedback, markup=False)
        elif grade.normalised:
            # Right, but not as Python prints it: show the exact form beside the note.
            yield Static(grade.feedback, markup=False, classes="dim", id="grade-note")
            yield Static(tr("q.expected", lang, expected=grade.expected), markup=False)
        if self.schedule_note:
            yield Static(self.schedule_note, markup=False, id="schedule-note")
        yield Static(tr("q.explanation", lang), classes="heading")
        yield Markdown(text_in(question.explanation, lang))
        if question.references:
            yield Static(tr("q.references", lang), classes="heading")
            yield Markdown(references_markdown(question))

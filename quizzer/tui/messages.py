"""Messages the screens post about the learner's work: a concept answer graded and
stored, a check of a running judgement, a judgement finished. The app and tests
listen for them; defined here so that screens need not import the app."""

from __future__ import annotations

from fsrs import Rating
from textual.message import Message

from quizzer.bank.grading import Grade
from quizzer.tui.judging import CheckEvent, JudgeOutcome


class Answered(Message):
    """A concept answer was graded and stored."""

    def __init__(self, question_id: str, grade: Grade, rating: Rating | None) -> None:
        super().__init__()
        self.question_id = question_id
        self.grade = grade
        self.rating = rating


class CheckReported(Message):
    """The judge finished one check of a running submission."""

    def __init__(self, task_id: str, check: CheckEvent) -> None:
        super().__init__()
        self.task_id = task_id
        self.check = check


class JudgeFinished(Message):
    """A judgement ended with `outcome` (pass, fail or error)."""

    def __init__(self, task_id: str, outcome: JudgeOutcome) -> None:
        super().__init__()
        self.task_id = task_id
        self.outcome = outcome

"""Exams as plain data: the plan (which questions, how long), grading everything at
the end, the score breakdown per topic and per type, and the answers file.

The exam screens (`quizzer.tui.screens.exam`, `.exam_result`) use it; the hiring
screen feature can build an `ExamPlan` from its screen file and hand it to
`make_app(..., exam=plan)`. No widgets here.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from quizzer.bank.grading import Grade, grade
from quizzer.bank.loader import Bank
from quizzer.bank.models import Question
from quizzer.store.srs import iso
from quizzer.tui.session import Filters

EXPORT_FORMAT = "quizzer-exam-answers"


@dataclass(frozen=True)
class ExamPlan:
    title: str
    question_ids: tuple[str, ...]
    time_limit_s: int
    #: Show the score and the right answers at the end. A hiring screen turns this
    #: off: the candidate must never see the answer keys.
    reveal: bool = True
    #: A hiring screen's locked room: no command palette, no home screen or any other
    #: screen, and leaving asks first.
    locked: bool = False
    #: The store setting that keeps this exam's end time and answers so far, so that a
    #: restart neither resets the clock nor loses an answer (None: nothing is kept).
    resume_key: str | None = None

    @classmethod
    def sample(
        cls, bank: Bank, filters: Filters, count: int, minutes: int, title: str, seed: int | None
    ) -> ExamPlan:
        """`count` questions drawn from the filtered bank (seeded for repeatability)."""
        # Open questions are self-assessed, which an exam cannot do.
        pool = [q.id for q in filters.concept_questions(bank) if q.type != "open"]
        rng = random.Random(seed)
        chosen = rng.sample(pool, min(count, len(pool)))
        return cls(title, tuple(chosen), minutes * 60)


@dataclass
class ExamAnswer:
    question: Question
    response: Any = None
    seconds: float = 0.0
    grade: Grade | None = None

    @property
    def answered(self) -> bool:
        return self.response is not None and self.response != []


@dataclass
class Breakdown:
    score: float = 0.0
    total: int = 0


@dataclass
class ExamResult:
    plan: ExamPlan
    answers: list[ExamAnswer]
    started_at: datetime
    finished_at: datetime
    timed_out: bool = False
    by_topic: dict[str, Breakdown] = field(default_factory=dict)
    by_type: dict[str, Breakdown] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(a.grade.score for a in self.answers if a.grade is not None)

    @property
    def max_score(self) -> float:
        return float(len(self.answers))

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def grade_exam(
    plan: ExamPlan,
    answers: list[ExamAnswer],
    started_at: datetime,
    finished_at: datetime,
    *,
    lang: str = "en",
    timed_out: bool = False,
) -> ExamResult:
    """Grade every answer (an open question scores 0 here: nobody self-assesses in
    an exam) and total per topic and per type."""
    by_topic: dict[str, Breakdown] = defaultdict(Breakdown)
    by_type: dict[str, Breakdown] = defaultdict(Breakdown)
    for answer in answers:
        q = answer.question
        result = grade(q, answer.response, lang, numbered=True)
        if result.self_assess:
            result = Grade(False, 0.0, result.expected, result.feedback, self_assess=True)
        answer.grade = result
        for table, key in ((by_topic, q.topic), (by_type, q.type)):
            table[key].score += result.score
            table[key].total += 1
    return ExamResult(
        plan, answers, started_at, finished_at, timed_out, dict(by_topic), dict(by_type)
    )


def answers_document(result: ExamResult) -> dict[str, Any]:
    """The exported answers: one JSON document per finished exam."""
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "title": result.plan.title,
        "started_at": iso(result.started_at),
        "finished_at": iso(result.finished_at),
        "time_limit_s": result.plan.time_limit_s,
        "timed_out": result.timed_out,
        "score": result.score,
        "max_score": result.max_score,
        "by_topic": {k: vars(v) for k, v in sorted(result.by_topic.items())},
        "by_type": {k: vars(v) for k, v in sorted(result.by_type.items())},
        "answers": [
            {
                "question_id": a.question.id,
                "topic": a.question.topic,
                "type": a.question.type,
                "response": a.response,
                "correct": bool(a.grade and a.grade.correct),
                "score": a.grade.score if a.grade else 0.0,
                "expected": a.grade.expected if a.grade else "",
                "duration_ms": int(a.seconds * 1000),
            }
            for a in result.answers
        ],
    }


def export_answers(result: ExamResult, directory: Path) -> Path:
    """Write the answers file into `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = result.finished_at.strftime("%Y%m%d-%H%M%S")
    path = directory / f"exam-{stamp}.json"
    text = json.dumps(answers_document(result), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path

"""Grading of concept answers: one pure function per question type, and `grade`.

Called by the practice UI, the exam/screen runner and `bank verify` (for the
`code_output` comparison). Nothing here does I/O or keeps state. Coding tasks are not
graded here; the judge does that.

Rules, as stated to learners:
- single_choice, true_false: right or wrong (score 1 or 0).
- multiple_choice: full credit for the exact set; otherwise
  (right picks - wrong picks) / number of right options, floored at 0.
- numeric: right when |given - answer| <= tolerance (plus a 1e-9 relative slack for
  decimal rounding); a trailing unit is allowed.
- short_answer: right when the normalised answer (Unicode NFKC, case folded,
  whitespace collapsed, trailing punctuation removed) equals a normalised accepted
  answer, or fully matches `regex` (applied to the normalised text).
- code_output: compared line by line, ignoring trailing spaces and leading/trailing
  blank lines; an option id is accepted when the question has options.
- open: not auto-graded; `grade` returns a self-assessment marker, and
  `self_assess` scores the rubric points the learner ticks.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from quizzer.bank.models import (
    CodeOutput,
    MultipleChoice,
    Numeric,
    Open,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
    text_in,
)

#: What a learner can give: an option id, several ids, text, a number or a boolean.
Response = str | bool | int | float | Sequence[str] | None

_TRAILING_PUNCT = ".,;:!?。，；：！？、…"
_TRUE = {"true", "t", "yes", "y", "1", "对", "是", "正确", "真"}
_FALSE = {"false", "f", "no", "n", "0", "错", "否", "错误", "假"}


@dataclass(frozen=True)
class Grade:
    """The result of grading one answer. `score` is in [0, 1]; `expected` is the right
    answer as shown to the learner; `feedback` says what was right or wrong.
    `self_assess` is True for open questions, which the learner grades against the
    rubric (then `correct` is False and `score` 0 until `self_assess` is called)."""

    correct: bool
    score: float
    expected: str
    feedback: str
    self_assess: bool = False


def normalise_text(text: str) -> str:
    """NFKC, case folded, whitespace collapsed, trailing punctuation removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = " ".join(text.split())
    return text.rstrip(_TRAILING_PUNCT + " ")


def normalise_output(text: str) -> list[str]:
    """Printed output as lines: trailing spaces dropped, leading and trailing blank
    lines removed, any line ending accepted."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def same_output(given: str, expected: str) -> bool:
    """Whether two printed outputs match under the code_output rule."""
    return normalise_output(given) == normalise_output(expected)


def _right(expected: str) -> Grade:
    return Grade(True, 1.0, expected, "Right.")


def _wrong(expected: str, feedback: str, score: float = 0.0) -> Grade:
    return Grade(False, score, expected, feedback)


def _option_text(question: SingleChoice | MultipleChoice | CodeOutput, oid: str, lang: str) -> str:
    for option in question.options:
        if option.id == oid:
            return text_in(option.text, lang)
    return ""


def _ids(response: Response) -> list[str]:
    if response is None or isinstance(response, (bool, int, float)):
        return []
    if isinstance(response, str):
        return [p.strip().lower() for p in re.split(r"[,\s]+", response) if p.strip()]
    return [str(p).strip().lower() for p in response if str(p).strip()]


def grade_single_choice(question: SingleChoice, response: Response, lang: str = "en") -> Grade:
    expected = f"{question.answer}: {_option_text(question, question.answer, lang)}"
    picks = _ids(response)
    if len(picks) != 1:
        return _wrong(expected, "Pick exactly one option.")
    if picks[0] == question.answer:
        return _right(expected)
    return _wrong(expected, f"'{picks[0]}' is not the right option.")


def grade_multiple_choice(question: MultipleChoice, response: Response, lang: str = "en") -> Grade:
    answer = set(question.answer)
    expected = ", ".join(question.answer)
    picks = set(_ids(response))
    right = len(picks & answer)
    wrong = len(picks - answer)
    if picks == answer:
        return _right(expected)
    score = max(0.0, (right - wrong) / len(answer))
    missed = len(answer - picks)
    return _wrong(
        expected,
        f"{right} right pick(s), {wrong} wrong pick(s), {missed} missed; "
        f"partial credit {score:.2f}.",
        score,
    )


def parse_bool(response: Response) -> bool | None:
    """A learner's true/false answer, or None when it is neither."""
    if isinstance(response, bool):
        return response
    if isinstance(response, str):
        word = normalise_text(response)
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def grade_true_false(question: TrueFalse, response: Response, lang: str = "en") -> Grade:
    expected = "true" if question.answer else "false"
    given = parse_bool(response)
    if given is None:
        return _wrong(expected, "Answer true or false.")
    if given == question.answer:
        return _right(expected)
    return _wrong(expected, f"The statement is {expected}.")


def parse_number(response: Response, unit: str | None = None) -> float | None:
    """A learner's number (a trailing `unit` and '_' or ',' digit groups allowed), or
    None when it is not a finite number."""
    if isinstance(response, bool) or response is None:
        return None
    if isinstance(response, (int, float)):
        value = float(response)
    elif isinstance(response, str):
        text = unicodedata.normalize("NFKC", response).strip()
        if unit and text.casefold().endswith(unit.casefold()):
            text = text[: len(text) - len(unit)].strip()
        text = text.replace("_", "").replace(",", "")
        try:
            value = float(text)
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def grade_numeric(question: Numeric, response: Response, lang: str = "en") -> Grade:
    unit = f" {question.unit}" if question.unit else ""
    tol = f" ± {question.tolerance:g}" if question.tolerance else ""
    expected = f"{question.answer:g}{tol}{unit}"
    given = parse_number(response, question.unit)
    if given is None:
        return _wrong(expected, "Give a number.")
    slack = 1e-9 * max(1.0, abs(question.answer), abs(given))
    if abs(given - question.answer) <= question.tolerance + slack:
        return _right(expected)
    return _wrong(expected, f"{given:g} is off by {abs(given - question.answer):g}.")


def grade_short_answer(question: ShortAnswer, response: Response, lang: str = "en") -> Grade:
    expected = question.accepted[0]
    if not isinstance(response, str) or not normalise_text(response):
        return _wrong(expected, "Type an answer.")
    given = normalise_text(response)
    if given in {normalise_text(a) for a in question.accepted}:
        return _right(expected)
    if question.regex is not None and re.fullmatch(question.regex, given):
        return _right(expected)
    return _wrong(expected, "That is not one of the accepted answers.")


def grade_code_output(question: CodeOutput, response: Response, lang: str = "en") -> Grade:
    expected = question.answer
    if not isinstance(response, str):
        return _wrong(expected, "Type what the snippet prints.")
    given = response
    if question.options and response.strip().lower() in {o.id for o in question.options}:
        given = _option_text(question, response.strip().lower(), "en")
    if same_output(given, question.answer):
        return _right(expected)
    want, got = normalise_output(question.answer), normalise_output(given)
    for number, (a, b) in enumerate(zip(want, got, strict=False), start=1):
        if a != b:
            return _wrong(expected, f"Line {number} differs: expected {a!r}, got {b!r}.")
    return _wrong(expected, f"Expected {len(want)} line(s), got {len(got)}.")


def grade_open(question: Open, response: Response, lang: str = "en") -> Grade:
    return Grade(
        False,
        0.0,
        text_in(question.model_answer, lang),
        "Compare your answer with the model answer and tick the rubric points you covered.",
        self_assess=True,
    )


def self_assess(question: Open, ticked: Iterable[int], lang: str = "en") -> Grade:
    """Score an open question from the rubric points (0-based indexes) the learner says
    they covered: the fraction covered; right when all are."""
    total = len(question.rubric)
    points = {i for i in ticked if 0 <= i < total}
    score = len(points) / total
    expected = text_in(question.model_answer, lang)
    if len(points) == total:
        return Grade(True, 1.0, expected, "All rubric points covered.", self_assess=True)
    missed = [text_in(question.rubric[i], lang) for i in range(total) if i not in points]
    return Grade(False, score, expected, "Missed: " + "; ".join(missed), self_assess=True)


_GRADERS: dict[str, Any] = {
    "single_choice": grade_single_choice,
    "multiple_choice": grade_multiple_choice,
    "true_false": grade_true_false,
    "numeric": grade_numeric,
    "short_answer": grade_short_answer,
    "code_output": grade_code_output,
    "open": grade_open,
}


def grade(question: Question, response: Response, lang: str = "en") -> Grade:
    """Grade `response` to any concept question. Coding tasks go to the judge and
    raise TypeError here."""
    grader = _GRADERS.get(question.type)
    if grader is None:
        raise TypeError(f"{question.type} questions are graded by the judge, not by grade()")
    result: Grade = grader(question, response, lang)
    return result

"""The candidate's `answers.yaml`: the template, reading it back, and checking each
answer's type before it is graded.

Called by `quizzer screen paper` (template), `quizzer screen grade` (read), and
`quizzer exam` / the practice UI's exam mode (write the answers given on screen).
The file is read with the bank's YAML reader, so a malformed file is an error (exit
2) naming its line and column; an answer of the wrong type is only a note on that
answer, never an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizzer.bank.grading import parse_bool, parse_number
from quizzer.bank.models import MultipleChoice, Numeric, Question, SingleChoice
from quizzer.bank.problems import display_path, suggest
from quizzer.bank.yamlread import MAX_BYTES, Pos, YamlReadError, describe, load
from quizzer.errors import UsageError
from quizzer.screen.paper import Paper

FILE_NAME = "answers.yaml"
TOP_KEYS = ("candidate", "answers")

#: How a question type is named to the candidate.
KIND = {
    "single_choice": "single choice",
    "multiple_choice": "multiple choice",
    "true_false": "true/false",
    "numeric": "number",
    "short_answer": "short answer",
    "code_output": "code output",
    "open": "open question",
}

HOW = {
    "single_choice": "one option id, e.g. b",
    "multiple_choice": "a list of option ids, e.g. [a, c]",
    "true_false": "true or false",
    "numeric": "a number",
    "short_answer": "a short text",
    "code_output": "exactly what it prints (a block for several lines)",
    "open": "your answer in a few sentences (a block for several lines)",
}


class AnswersError(UsageError):
    """The answers file cannot be read; the message names its line."""


@dataclass(frozen=True)
class Answers:
    path: Path
    candidate: str | None
    #: label -> the raw value read from YAML (None when left empty).
    responses: Mapping[str, Any]
    positions: Mapping[str, Pos]


def _error(path: Path, pos: Pos, message: str) -> AnswersError:
    return AnswersError(f"{display_path(path)}:{pos.line}:{pos.column}: {message}")


def read_answers(path: Path, paper: Paper) -> Answers:
    """Read `path` for `paper`. Anything that is not an answers file for this paper is
    an `AnswersError` naming the line; values are not checked here."""
    if path.is_symlink():
        raise AnswersError(f"{display_path(path)} is a symbolic link; submit a regular file")
    if not path.is_file():
        raise AnswersError(
            f"{display_path(path)}: no such file; `quizzer screen paper` writes the template"
        )
    try:
        doc = load(path, MAX_BYTES)
    except YamlReadError as exc:
        raise _error(path, Pos(exc.line, exc.column), exc.message) from None
    data = doc.data
    if not isinstance(data, dict):
        raise _error(
            path, Pos(1, 1), f"expected 'candidate:' and 'answers:' mappings, got {describe(data)}"
        )
    for key in data:
        if key not in TOP_KEYS:
            hint = suggest(key, TOP_KEYS)
            more = f"; did you mean '{hint}'?" if hint else "; answers go under 'answers:'"
            raise _error(path, doc.key_pos((key,)), f"unknown key '{key}'{more}")
    candidate = data.get("candidate")
    if candidate is not None and str(candidate) != paper.candidate:
        raise _error(
            path,
            doc.value_pos(("candidate",)),
            f"this file answers the paper of candidate '{candidate}', not '{paper.candidate}'; "
            "grade it with that --candidate",
        )
    if "answers" not in data:
        raise _error(path, Pos(1, 1), "missing 'answers:', the mapping of labels to answers")
    raw = data["answers"]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _error(
            path,
            doc.value_pos(("answers",)),
            f"'answers' must map labels (q1, q2, ...) to answers, got {describe(raw)}",
        )
    labels = paper.labels()
    tasks = {t.label for t in paper.tasks()}
    for label in raw:
        if label in labels:
            continue
        pos = doc.key_pos(("answers", label))
        if label in tasks:
            raise _error(
                path, pos, f"'{label}' is a coding task; put its solution in solutions/{label}.py"
            )
        hint = suggest(label, labels)
        more = f"; did you mean '{hint}'?" if hint else ""
        span = f"{labels[0]} to {labels[-1]}" if labels else "no questions"
        raise _error(path, pos, f"no question '{label}' on this paper ({span}){more}")
    positions = {label: doc.value_pos(("answers", label)) for label in raw}
    return Answers(path, None if candidate is None else str(candidate), raw, positions)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _option_ids(question: SingleChoice | MultipleChoice) -> list[str]:
    return [o.id for o in question.options]


def check_response(question: Question, value: Any) -> tuple[Any, str | None]:
    """(response to grade, None) for a usable answer; (None, note) when the answer is
    missing or of the wrong type. The note says what was expected."""
    if value is None or value == "" or value == []:
        return None, "no answer"
    kind = question.type
    wrong = f"expected {HOW.get(kind, 'an answer')}, got {describe(value)}"
    if isinstance(question, SingleChoice):
        text = _text(value)
        if text is None or not text.strip():
            return None, wrong
        return text.strip().lower(), None
    if isinstance(question, MultipleChoice):
        if isinstance(value, str):
            return value, None
        if isinstance(value, list) and all(_text(v) is not None for v in value):
            return [str(_text(v)).strip().lower() for v in value], None
        return None, wrong
    if kind == "true_false":
        if parse_bool(value) is None:
            return None, wrong
        return value, None
    if isinstance(question, Numeric):
        if parse_number(value, question.unit) is None:
            return None, wrong
        return value, None
    text = _text(value)
    if text is None:
        return None, wrong
    return text, None


def unknown_options(question: Question, response: Any) -> list[str]:
    """Option ids in `response` that the question does not have."""
    if not isinstance(question, (SingleChoice, MultipleChoice)):
        return []
    picks = [response] if isinstance(response, str) else list(response)
    if isinstance(question, MultipleChoice) and isinstance(response, str):
        picks = [p for p in response.replace(",", " ").split() if p]
    known = _option_ids(question)
    return [p for p in picks if p.strip().lower() not in known]


# --- writing ----------------------------------------------------------------------


def _plain_in_quotes(char: str) -> bool:
    """Whether YAML keeps `char` as it is inside double quotes: printable, and not a
    line break that the parser would fold."""
    o = ord(char)
    if char in "\u0085\u2028\u2029\ufeff":
        return False
    return 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000


def _quote(text: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes, plus \\u escapes for every
    character YAML would refuse or fold."""
    body = json.dumps(text, ensure_ascii=False)
    return "".join(c if _plain_in_quotes(c) else f"\\u{ord(c):04x}" for c in body)


def _scalar(value: Any) -> str:
    """`value` as YAML that the bank's reader reads back as the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        # YAML 1.1 reads a float only with a dot: 1e+20 would come back as text.
        mantissa, e, exponent = text.partition("e")
        return (mantissa if "." in mantissa else mantissa + ".0") + (e + exponent if e else "")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return _quote(str(value))


def answers_text(
    paper: Paper, questions: Mapping[str, Question], responses: Mapping[str, Any]
) -> str:
    """The answers file for `paper`: the template when `responses` is empty, else with
    the given answers (label -> value) filled in. `questions` maps labels to questions."""
    lines = [
        f"# Answers of candidate {paper.candidate} to: {paper.title}",
        "# Write each answer after its label; an empty answer scores 0. Quote text that",
        "# contains ': ' or starts with a special character. For several lines use a block:",
        "#   q4: |",
        "#     first line",
        "#     second line",
        "# Coding tasks are answered in solutions/<task>.py, not here.",
        f"candidate: {_scalar(paper.candidate)}",
        "answers:",
    ]
    if not paper.questions():
        lines[-1] = "answers: {}"
    for item in paper.questions():
        question = questions[item.label]
        kind = KIND[question.type]
        unit = "point" if item.points == 1 else "points"
        lines.append(f"  # {item.label} · {kind} · {item.points:g} {unit} · {HOW[question.type]}")
        value = _scalar(responses.get(item.label))
        lines.append(f"  {item.label}: {value}".rstrip())
    return "\n".join(lines) + "\n"


def write_answers(
    path: Path, paper: Paper, questions: Mapping[str, Question], responses: Mapping[str, Any]
) -> Path:
    """Write `answers_text(...)` to `path` (replacing it) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(answers_text(paper, questions, responses), encoding="utf-8")
    tmp.replace(path)
    return path


def responses_from_exam(paper: Paper, answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """label -> response, from the answers the practice UI's exam mode records (each
    with `question_id` and `response`); questions not on the paper are ignored."""
    labels = {item.question_id: item.label for item in paper.questions()}
    out: dict[str, Any] = {}
    for answer in answers:
        label = labels.get(str(answer.get("question_id")))
        response = answer.get("response")
        if label is not None and response not in (None, "", []):
            out[label] = response
    return out

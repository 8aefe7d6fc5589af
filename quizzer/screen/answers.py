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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizzer.bank.grading import parse_bool, parse_number
from quizzer.bank.models import MultipleChoice, Numeric, Question, SingleChoice
from quizzer.bank.problems import display_path, suggest
from quizzer.bank.yamlread import (
    MAX_BYTES,
    Document,
    Pos,
    YamlReadError,
    describe,
    parse,
    read_text,
)
from quizzer.errors import UsageError
from quizzer.screen.paper import Paper

FILE_NAME = "answers.yaml"
TOP_KEYS = ("candidate", "answers", "seconds")

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
    "code_output": "exactly what it prints",
    "open": "your answer in a few sentences",
}

#: Question types whose answer is text: read as written, whatever YAML would make of
#: it (`True` stays the text True, `[2, 5, 3]` stays text), and given a block in the
#: template so that colons and quotes need no escaping.
TEXT_TYPES = frozenset({"short_answer", "code_output", "open"})


class AnswersError(UsageError):
    """The answers file cannot be read; the message names its line."""


@dataclass(frozen=True)
class Answers:
    path: Path
    candidate: str | None
    #: label -> the raw value read from YAML (None when left empty).
    responses: Mapping[str, Any]
    positions: Mapping[str, Pos]
    #: label -> the answer's source text where YAML typed it (`True`, `[2, 5, 3]`).
    written: Mapping[str, str] = field(default_factory=dict)
    #: label -> how an answer that is not valid YAML was read instead.
    notes: Mapping[str, str] = field(default_factory=dict)
    #: label -> seconds spent on it in `quizzer exam` (as the exam recorded it).
    seconds: Mapping[str, float] = field(default_factory=dict)

    def response(self, label: str, question: Question) -> Any:
        """The answer to grade for `label`: as written where the question expects
        text, else as YAML read it."""
        value = self.responses.get(label)
        if question.type in TEXT_TYPES and not isinstance(value, str):
            text = self.written.get(label)
            if text:
                return text
        return value


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
        text = read_text(path, MAX_BYTES)
    except YamlReadError as exc:
        raise _error(path, Pos(exc.line, exc.column), exc.message) from None
    try:
        doc, notes = parse(text), dict[str, str]()
    except YamlReadError as exc:
        lenient = _read_each_answer(text)
        if lenient is None:
            raise _error(path, Pos(exc.line, exc.column), exc.message) from None
        doc, notes = lenient
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
    if candidate is not None and str(candidate).lower() != paper.candidate:
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
    # an empty block (the template's `q4: |-` left as it is) is no answer, as `q4:` is
    raw = {label: None if value == "" else value for label, value in raw.items()}
    positions = {label: doc.value_pos(("answers", label)) for label in raw}
    written = {
        label: doc.plain[("answers", label)] for label in raw if ("answers", label) in doc.plain
    }
    timed = data.get("seconds")
    seconds = {
        str(k): float(v)
        for k, v in (timed.items() if isinstance(timed, dict) else ())
        if k in labels and isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
    }
    return Answers(
        path, None if candidate is None else str(candidate), raw, positions, written, notes, seconds
    )


_ANSWERS_LINE = re.compile(r"^answers:[ \t]*(#.*)?$")
_ENTRY = re.compile(r"^( +)([A-Za-z0-9_.-]+):(?:[ \t]+(.*))?$")


def _read_each_answer(text: str) -> tuple[Document, dict[str, str]] | None:
    """The file read one answer at a time, when it is not valid YAML as a whole: each
    answer that YAML cannot read is taken as the text written after its label, with a
    note, so that one unquoted colon costs at most that answer. None when the problem
    is not inside an answer (the caller then reports the YAML error)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _ANSWERS_LINE.match(line)), None)
    if start is None:
        return None
    try:
        head = (
            parse("\n".join(lines[:start]) + "\n")
            if any(line.strip() and not line.lstrip().startswith("#") for line in lines[:start])
            else None
        )
    except YamlReadError:
        return None
    data: dict[str, Any] = (
        dict(head.data) if head is not None and isinstance(head.data, dict) else {}
    )
    entries: list[tuple[int, str, list[str]]] = []
    indent: str | None = None
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        match = _ENTRY.match(line)
        if match and (indent is None or match.group(1) == indent):
            indent = match.group(1)
            entries.append((number, match.group(2), [line]))
        elif not line.strip() or line.lstrip().startswith("#"):
            if entries:
                entries[-1][2].append(line)
        elif line.startswith(" ") and entries:
            entries[-1][2].append(line)
        else:
            return None  # another top-level key, or text before the first answer
    answers: dict[str, Any] = {}
    values: dict[tuple, Pos] = {("answers",): Pos(start + 1, 1)}
    keys: dict[tuple, Pos] = {}
    plain: dict[tuple, str] = {}
    notes: dict[str, str] = {}
    for number, label, chunk in entries:
        if label in answers:
            return None
        keys[("answers", label)] = values[("answers", label)] = Pos(number, len(indent or "") + 1)
        try:
            one = parse("\n".join(chunk) + "\n")
            answers[label] = one.data[label]
            if (label,) in one.plain:
                plain[("answers", label)] = one.plain[(label,)]
        except (YamlReadError, KeyError, TypeError) as exc:
            first = _ENTRY.match(chunk[0])
            rest = [first.group(3) or "" if first else ""] + [c.strip() for c in chunk[1:]]
            written = "\n".join(r for r in rest if r and not r.startswith("#")).strip()
            answers[label] = written
            plain[("answers", label)] = written
            why = exc.message if isinstance(exc, YamlReadError) else "not a value"
            notes[label] = (
                f"line {number} is not valid YAML ({why}); read as the text written after "
                f"'{label}:'"
            )
    data["answers"] = answers
    return Document(data, values, keys, plain), notes


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
    paper: Paper,
    questions: Mapping[str, Question],
    responses: Mapping[str, Any],
    seconds: Mapping[str, float] | None = None,
) -> str:
    """The answers file for `paper`: the template when `responses` is empty, else with
    the given answers (label -> value) filled in, and the seconds the exam recorded per
    question. `questions` maps labels to questions."""
    lines = [
        f"# Answers of candidate {paper.candidate} to: {paper.title}",
        "# Write each answer after its label; an empty answer scores 0. Text answers",
        "# go on the indented lines under their 'qN: |-', as many lines as needed,",
        "# written exactly as they are (no quotes needed):",
        "#   q4: |-",
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
        where = ", on the indented lines below" if question.type in TEXT_TYPES else ""
        lines.append(
            f"  # {item.label} · {kind} · {item.points:g} {unit} · {HOW[question.type]}{where}"
        )
        given = responses.get(item.label)
        if question.type in TEXT_TYPES and given is None:
            lines += [f"  {item.label}: |-", "    "]  # typed on the indented line: any text
            continue
        lines.append(f"  {item.label}: {_scalar(given)}".rstrip())
    if seconds:
        lines += ["# Seconds spent on each question, as quizzer exam recorded them.", "seconds:"]
        lines += [f"  {label}: {round(float(v), 1)}" for label, v in seconds.items()]
    return "\n".join(lines) + "\n"


def write_answers(
    path: Path,
    paper: Paper,
    questions: Mapping[str, Question],
    responses: Mapping[str, Any],
    seconds: Mapping[str, float] | None = None,
) -> Path:
    """Write `answers_text(...)` to `path` (replacing it) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(answers_text(paper, questions, responses, seconds), encoding="utf-8")
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


def seconds_from_exam(paper: Paper, answers: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """label -> seconds spent, from the answers the exam mode records (`duration_ms`)."""
    labels = {item.question_id: item.label for item in paper.questions()}
    out: dict[str, float] = {}
    for answer in answers:
        label = labels.get(str(answer.get("question_id")))
        ms = answer.get("duration_ms")
        if label is not None and isinstance(ms, int) and not isinstance(ms, bool) and ms >= 0:
            out[label] = ms / 1000
    return out

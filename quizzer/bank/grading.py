"""Grading of concept answers: one pure function per question type, and `grade`.

Called by the practice UI, the exam/screen runner and `bank verify` (for the
`code_output` comparison). Nothing here does I/O or keeps state. Coding tasks are not
graded here; the judge does that.

Rules, as stated to learners:
- single_choice, true_false: right or wrong (score 1 or 0).
- multiple_choice: full credit for the exact set; otherwise
  (right picks - wrong picks) / number of right options, floored at 0.
- numeric: right when |given - answer| <= tolerance (plus a 1e-9 relative slack for
  decimal rounding); a trailing unit is allowed, and so is a plain arithmetic
  expression (`6/3`, `2**10`, `3*4`, `-(1e-3)`; see `parse_number`).
- short_answer: right when the normalised answer (Unicode NFKC, case folded,
  whitespace collapsed, trailing punctuation removed) equals a normalised accepted
  answer, or fully matches `regex` (applied to the normalised text).
- code_output: compared line by line, ignoring trailing spaces and leading/trailing
  blank lines; an option id is accepted when the question has options. An answer that
  differs only in spacing that Python's own printing decides (see `loose_output`) is
  also right, and the grade says so (`Grade.normalised`).
- open: not auto-graded; `grade` returns a self-assessment marker, and
  `self_assess` scores the rubric points the learner ticks.

Every message is given in the learner's language (`lang`, "en" or "zh"). Refusing an
empty answer is the caller's job: `grade` grades what it is given, so an empty answer
in a hiring paper is simply wrong, while the practice UI does not submit one.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
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

#: Every message a grade carries, (English, Chinese). Kept here rather than in the
#: UI's table because the hiring screen's reports show them too.
_MESSAGES: dict[str, tuple[str, str]] = {
    "right": ("Right.", "正确。"),
    "pick_one": ("Pick exactly one option.", "请只选一个选项。"),
    "not_the_option": ("'{pick}' is not the right option.", "「{pick}」不是正确选项。"),
    "picks": (
        "{right} right pick(s), {wrong} wrong pick(s), {missed} missed; "
        "partial credit {score:.2f}.",
        "选对 {right} 个，选错 {wrong} 个，漏选 {missed} 个；部分得分 {score:.2f}。",
    ),
    "true_or_false": ("Answer true or false.", "请回答正确或错误。"),
    "statement": ("The statement is {value}.", "这个说法是{value}的。"),
    "true": ("true", "正确"),
    "false": ("false", "错误"),
    "a_number": ("Give a number.", "请给出一个数。"),
    "off_by": ("{given:g} is off by {off:g}.", "{given:g} 与答案相差 {off:g}。"),
    "type_answer": ("Type an answer.", "请输入答案。"),
    "not_accepted": ("That is not one of the accepted answers.", "这不是可接受的答案之一。"),
    "type_output": ("Type what the snippet prints.", "请输入这段代码打印的内容。"),
    "line_differs": (
        "Line {n} differs: expected {want!r}, got {got!r}.",
        "第 {n} 行不同：应为 {want!r}，你写的是 {got!r}。",
    ),
    "line_count": ("Expected {want} line(s), got {got}.", "应有 {want} 行，你写了 {got} 行。"),
    "spaces": (
        "Accepted: matched after normalising spaces.",
        "已接受：统一空格后与输出一致。",
    ),
    "open": (
        "Compare your answer with the model answer and tick the rubric points you covered.",
        "将你的答案与参考答案对照，勾选你答到的要点。",
    ),
    "all_points": ("All rubric points covered.", "答到了全部要点。"),
    "missed": ("Missed: {points}", "遗漏：{points}"),
}


def message(key: str, lang: str = "en", **values: Any) -> str:
    """A grading message in `lang` (English unless "zh")."""
    en, zh = _MESSAGES[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Grade:
    """The result of grading one answer. `score` is in [0, 1]; `expected` is the right
    answer as shown to the learner; `feedback` says what was right or wrong.
    `self_assess` is True for open questions, which the learner grades against the
    rubric (then `correct` is False and `score` 0 until `self_assess` is called).
    `normalised` is True when the answer was accepted only after normalising its
    spacing (`feedback` then says so, and `expected` shows the exact form)."""

    correct: bool
    score: float
    expected: str
    feedback: str
    self_assess: bool = False
    normalised: bool = False


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
    """Whether two printed outputs match under the strict code_output rule (the one
    `bank verify` holds the bank's answers to)."""
    return normalise_output(given) == normalise_output(expected)


_OPENERS, _CLOSERS = "([{", ")]}"
#: Inside brackets, no space is needed after these or before those: Python's reprs
#: put one after a comma or a colon, torch pads numbers to align columns, and a
#: learner may type either.
_NO_SPACE_AFTER, _NO_SPACE_BEFORE = _OPENERS + ",:", _CLOSERS + ",:"
_QUOTED = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")


def loose_output(text: str) -> list[str]:
    """Printed output as lines, with the spacing that Python's formatting decides
    (and so says nothing about what was computed) normalised. On top of
    `normalise_output`, after Unicode NFKC (full-width `，` and `［` from a Chinese IME):

    - a run of spaces or tabs counts as one space;
    - inside brackets (`torch.Size([2, 5, 3])`, a tensor's aligned columns, a dict),
      spaces after an opening bracket, a comma or a colon and before a closing
      bracket, a comma or a colon do not count, and neither does the indentation of a
      line that continues an open bracket (a tensor's second row);
    - a space between two other characters always counts, so `[2, 53]` never matches
      `[2, 5, 3]` and numpy's `[2 5 3]` never matches `[25 3]`;
    - outside brackets, indentation counts (it is the text printed, not layout), and
      so does a space after a comma (`print("a, b")`);
    - a quoted string (`'a  b'` in a repr) is kept exactly as typed.
    """
    depth = 0
    lines: list[str] = []
    for raw in normalise_output(text):
        line = unicodedata.normalize("NFKC", raw).rstrip()
        out: list[str] = []
        i = 0
        if depth == 0:  # indentation outside brackets is part of the text
            indent = len(line) - len(line.lstrip(" \t"))
            out.append(line[:indent])
            i = indent
        prev, pending = "", False
        while i < len(line):
            char = line[i]
            if char in " \t":
                pending, i = True, i + 1
                continue
            quoted = _QUOTED.match(line, i) if char in "'\"" else None
            token = quoted.group() if quoted else char
            if pending and prev:
                bracketed = depth > 0 and (prev in _NO_SPACE_AFTER or char in _NO_SPACE_BEFORE)
                if not bracketed:
                    out.append(" ")
            pending = False
            out.append(token)
            if quoted is None and char in _OPENERS:
                depth += 1
            elif quoted is None and char in _CLOSERS:
                depth = max(0, depth - 1)
            prev = token[-1]
            i += len(token)
        lines.append("".join(out))
    return lines


def _right(expected: str, lang: str) -> Grade:
    return Grade(True, 1.0, expected, message("right", lang))


def _wrong(expected: str, feedback: str, score: float = 0.0) -> Grade:
    return Grade(False, score, expected, feedback)


def _option_text(question: SingleChoice | MultipleChoice | CodeOutput, oid: str, lang: str) -> str:
    for option in question.options:
        if option.id == oid:
            return text_in(option.text, lang)
    return ""


def option_label(question: SingleChoice | MultipleChoice, oid: str, numbered: bool) -> str:
    """How an option is named to the learner: its number on screen (1-based, as the
    practice UI shows and picks them) when `numbered`, else its id (as papers show
    them). An id that is no option stays as it is."""
    if numbered:
        for number, option in enumerate(question.options, start=1):
            if option.id == oid:
                return str(number)
    return oid


def _ids(response: Response) -> list[str]:
    if response is None or isinstance(response, (bool, int, float)):
        return []
    if isinstance(response, str):
        return [p.strip().lower() for p in re.split(r"[,\s]+", response) if p.strip()]
    return [str(p).strip().lower() for p in response if str(p).strip()]


def grade_single_choice(
    question: SingleChoice, response: Response, lang: str = "en", numbered: bool = False
) -> Grade:
    label = option_label(question, question.answer, numbered)
    expected = f"{label}: {_option_text(question, question.answer, lang)}"
    picks = _ids(response)
    if len(picks) != 1:
        return _wrong(expected, message("pick_one", lang))
    if picks[0] == question.answer:
        return _right(expected, lang)
    pick = option_label(question, picks[0], numbered)
    return _wrong(expected, message("not_the_option", lang, pick=pick))


def grade_multiple_choice(
    question: MultipleChoice, response: Response, lang: str = "en", numbered: bool = False
) -> Grade:
    answer = set(question.answer)
    expected = ", ".join(option_label(question, oid, numbered) for oid in question.answer)
    picks = set(_ids(response))
    right = len(picks & answer)
    wrong = len(picks - answer)
    if picks == answer:
        return _right(expected, lang)
    score = max(0.0, (right - wrong) / len(answer))
    missed = len(answer - picks)
    feedback = message("picks", lang, right=right, wrong=wrong, missed=missed, score=score)
    return _wrong(expected, feedback, score)


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
    expected = message("true" if question.answer else "false", lang)
    given = parse_bool(response)
    if given is None:
        return _wrong(expected, message("true_or_false", lang))
    if given == question.answer:
        return _right(expected, lang)
    return _wrong(expected, message("statement", lang, value=expected))


#: What may appear in a numeric answer besides numbers: these operators, parentheses
#: and unary signs. No names and no calls, so nothing but arithmetic is evaluated.
_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
#: Signs a keyboard or an IME may give for the ASCII operators; NFKC folds the
#: full-width forms (`６／３`, `，`) but leaves these.
_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "×": "*", "÷": "/", "^": "**"})
#: Long enough for any honest answer, short enough that parsing is instant.
_MAX_EXPRESSION = 100
#: `2**1000` is the largest power anyone types; `9**9**9` is refused, not computed.
_MAX_EXPONENT = 1024
_LEADING_ZEROS = re.compile(r"(?<![\w.])0+(?=\d)")


class _NotArithmetic(Exception):
    pass


def _evaluate(node: ast.AST) -> float:
    """The value of a parsed arithmetic expression, in floats (so that every step
    takes constant time), or _NotArithmetic."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        if isinstance(node.value, bool):  # `True` parses as a constant too
            raise _NotArithmetic("bool")
        value = float(node.value)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _evaluate(node.operand)
        value = -operand if isinstance(node.op, ast.USub) else operand
    elif isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise _NotArithmetic("exponent too large")
        value = _OPERATORS[type(node.op)](left, right)
    else:
        raise _NotArithmetic(type(node).__name__)
    # A negative base to a fractional power is complex; an overflow is inf.
    if not isinstance(value, float) or not math.isfinite(value):
        raise _NotArithmetic("not a finite real number")
    return value


def _arithmetic(text: str) -> float | None:
    if len(text) > _MAX_EXPRESSION:
        return None
    try:
        return _evaluate(ast.parse(_LEADING_ZEROS.sub("", text), mode="eval"))
    except (_NotArithmetic, SyntaxError, ValueError, ArithmeticError, RecursionError):
        return None


def parse_number(response: Response, unit: str | None = None) -> float | None:
    """A learner's number, or None when it is not a finite number.

    Text may end in `unit`, group digits with '_' or ',', use full-width characters
    (NFKC), the minus sign '−', '×', '÷' and '^' for a power, and be an arithmetic
    expression of number literals with + - * / // % ** and parentheses: `6/3`,
    `2**10`, `(1+2)*3`, `-1e-3`. Names, calls and powers above 1024 are refused."""
    if isinstance(response, bool) or response is None:
        return None
    if isinstance(response, (int, float)):
        value = float(response)
    elif isinstance(response, str):
        text = unicodedata.normalize("NFKC", response).translate(_SIGNS).strip()
        if unit:
            unit = unicodedata.normalize("NFKC", unit)
            if text.casefold().endswith(unit.casefold()):
                text = text[: len(text) - len(unit)].strip()
        text = text.replace("_", "").replace(",", "")
        try:
            value = float(text)
        except ValueError:
            found = _arithmetic(text)
            if found is None:
                return None
            value = found
    else:
        return None
    return value if math.isfinite(value) else None


def grade_numeric(question: Numeric, response: Response, lang: str = "en") -> Grade:
    unit = f" {question.unit}" if question.unit else ""
    tol = f" ± {question.tolerance:g}" if question.tolerance else ""
    expected = f"{question.answer:g}{tol}{unit}"
    given = parse_number(response, question.unit)
    if given is None:
        return _wrong(expected, message("a_number", lang))
    slack = 1e-9 * max(1.0, abs(question.answer), abs(given))
    if abs(given - question.answer) <= question.tolerance + slack:
        return _right(expected, lang)
    off = abs(given - question.answer)
    return _wrong(expected, message("off_by", lang, given=given, off=off))


def grade_short_answer(question: ShortAnswer, response: Response, lang: str = "en") -> Grade:
    expected = question.accepted[0]
    if not isinstance(response, str) or not normalise_text(response):
        return _wrong(expected, message("type_answer", lang))
    given = normalise_text(response)
    if given in {normalise_text(a) for a in question.accepted}:
        return _right(expected, lang)
    if question.regex is not None and re.fullmatch(question.regex, given):
        return _right(expected, lang)
    return _wrong(expected, message("not_accepted", lang))


def grade_code_output(question: CodeOutput, response: Response, lang: str = "en") -> Grade:
    expected = question.answer
    if not isinstance(response, str):
        return _wrong(expected, message("type_output", lang))
    given = response
    if question.options and response.strip().lower() in {o.id for o in question.options}:
        given = _option_text(question, response.strip().lower(), "en")
    if same_output(given, question.answer):
        return _right(expected, lang)
    loose_want, loose_got = loose_output(question.answer), loose_output(given)
    if loose_want == loose_got:
        return Grade(True, 1.0, expected, message("spaces", lang), normalised=True)
    # Name the first line that differs beyond spacing, as the learner typed it.
    want, got = normalise_output(question.answer), normalise_output(given)
    for number, (a, b) in enumerate(zip(loose_want, loose_got, strict=False), start=1):
        if a != b:
            return _wrong(
                expected,
                message("line_differs", lang, n=number, want=want[number - 1], got=got[number - 1]),
            )
    return _wrong(expected, message("line_count", lang, want=len(want), got=len(got)))


def grade_open(question: Open, response: Response, lang: str = "en") -> Grade:
    return Grade(
        False,
        0.0,
        text_in(question.model_answer, lang),
        message("open", lang),
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
        return Grade(True, 1.0, expected, message("all_points", lang), self_assess=True)
    missed = [text_in(question.rubric[i], lang) for i in range(total) if i not in points]
    joined = ("；" if lang == "zh" else "; ").join(missed)
    return Grade(False, score, expected, message("missed", lang, points=joined), self_assess=True)


_GRADERS: dict[str, Any] = {
    "single_choice": grade_single_choice,
    "multiple_choice": grade_multiple_choice,
    "true_false": grade_true_false,
    "numeric": grade_numeric,
    "short_answer": grade_short_answer,
    "code_output": grade_code_output,
    "open": grade_open,
}


def grade(
    question: Question, response: Response, lang: str = "en", *, numbered: bool = False
) -> Grade:
    """Grade `response` to any concept question. With `numbered`, options are named
    by their number on screen (the practice UI), else by id (papers and reports).
    Coding tasks go to the judge and raise TypeError here."""
    grader = _GRADERS.get(question.type)
    if grader is None:
        raise TypeError(f"{question.type} questions are graded by the judge, not by grade()")
    if isinstance(question, (SingleChoice, MultipleChoice)):
        return grader(question, response, lang, numbered)
    result: Grade = grader(question, response, lang)
    return result

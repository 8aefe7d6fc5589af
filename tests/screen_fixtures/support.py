"""Helpers of the screen tests: fixture paths, screens written to a temporary folder,
and answers that are right or wrong by the bank's own key."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from quizzer.bank.models import (
    CodeOutput,
    MultipleChoice,
    Numeric,
    Open,
    Question,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)

FIXTURES = Path(__file__).resolve().parent
REPO = FIXTURES.parents[1]
PUBLIC = FIXTURES / "public"
PRIVATE = FIXTURES / "private"
SCREEN = FIXTURES / "screen.yaml"
SOLUTIONS = FIXTURES / "solutions"

#: A screen with concept questions only: grading it never starts the judge.
CONCEPTS_ONLY = """\
title: Concepts only
seed: 11
banks: [{public}, {private}]
threshold: {percent: 50}
sections:
  - id: concepts
    title: Concepts
    threshold: {points: 2}
    questions:
      - pub-single
      - {id: pub-multi, points: 2}
      - pub-tf
      - {id: pub-numeric, points: 3}
      - pub-short
      - pub-code
      - {id: private-open, points: 4}
      - {draw: 2, topic: drawpool}
"""


def write_screen(folder: Path, text: str, name: str = "screen.yaml") -> Path:
    """Write a screen file whose `{public}` and `{private}` name the fixture banks."""
    path = folder / name
    path.write_text(
        textwrap.dedent(text).replace("{public}", str(PUBLIC)).replace("{private}", str(PRIVATE)),
        encoding="utf-8",
    )
    return path


def right_answer(question: Question) -> Any:
    """An answer the bank's key marks right."""
    if isinstance(question, (SingleChoice, TrueFalse, Numeric, CodeOutput)):
        return question.answer
    if isinstance(question, MultipleChoice):
        return list(question.answer)
    if isinstance(question, ShortAnswer):
        return question.accepted[0]
    if isinstance(question, Open):
        return "A thoughtful answer."
    raise TypeError(question.type)


def wrong_answer(question: Question) -> Any:
    """An answer of the right type that the bank's key marks wrong (no credit)."""
    if isinstance(question, SingleChoice):
        return next(o.id for o in question.options if o.id != question.answer)
    if isinstance(question, TrueFalse):
        return not question.answer
    if isinstance(question, Numeric):
        return question.answer + question.tolerance + 1000
    if isinstance(question, MultipleChoice):
        return [o.id for o in question.options if o.id not in question.answer]
    if isinstance(question, (ShortAnswer, CodeOutput)):
        return "certainly not this"
    raise TypeError(question.type)


def fill_template(path: Path, values: dict[str, str]) -> None:
    """Fill answers (YAML text) into the template as a candidate would: `  q3:` ->
    `  q3: true`; a text answer goes as plain text on the indented line under its
    `  q4: |-`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    filled = set()
    for index, line in enumerate(lines):
        label = line.strip().rstrip(":")
        if line.startswith("  q") and line.endswith(":") and label in values:
            lines[index] = f"{line} {values[label]}"
            filled.add(label)
        block = line.strip().removesuffix(": |-")
        if line.startswith("  q") and line.endswith(": |-") and block in values:
            text = str(yaml.safe_load(values[block]))
            lines[index + 1] = "\n".join("    " + part for part in text.splitlines())
            filled.add(block)
    assert filled == set(values), f"not in the template: {set(values) - filled}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

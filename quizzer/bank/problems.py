"""Positioned problems in bank files, and the switch between "stop at the first one"
(loading) and "collect them all" (`bank validate`).

The loader, the schema mapper and the checks report every problem through a
`ProblemSink`; `load_bank` uses a sink that raises `BankProblemError` at once, while
`validate_paths` uses one that collects.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from quizzer.errors import BankError


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, else as is."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt `word`, or None when nothing is close."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Problem:
    """One problem, at `path:line:column` (both 1-based; line 0 means the whole path),
    in the question `question_id` (None for file-level problems) at `field` (a dotted
    path such as `options[1].text`)."""

    path: Path
    line: int
    column: int
    question_id: str | None
    field: str | None
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{display_path(self.path)}:"
        if self.line > 0:
            where = f"{display_path(self.path)}:{self.line}:{self.column}:"
        parts = [where]
        if self.question_id:
            parts.append(f"[{self.question_id}]")
        if self.field:
            parts.append(f"{self.field}:")
        text = " ".join(parts) + f" {self.message}"
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.line, self.column, self.message)


class BankProblemError(BankError):
    """A `BankError` that carries the positioned problems behind it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            msg = str(self.problems[0])
        else:
            msg = f"{len(self.problems)} problems in the bank:\n" + "\n".join(
                str(p) for p in self.problems
            )
        super().__init__(msg)


@dataclass
class ProblemSink:
    """Where problems go. With `stop_at_first`, the first report raises
    `BankProblemError`; otherwise problems are collected in `problems`."""

    stop_at_first: bool
    problems: list[Problem] = field(default_factory=list)

    def report(self, problem: Problem) -> None:
        if self.stop_at_first:
            raise BankProblemError([problem])
        self.problems.append(problem)

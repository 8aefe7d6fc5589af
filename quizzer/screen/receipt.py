"""A receipt for a hand-in before the deadline: what was received, whether it parses
and how many answers it gives, and never a score, a status per question, or anything
the judge found.

Called by `quizzer screen grade --feedback receipt`, which CI runs on every push of a
candidate: feedback per question on each push would let a candidate find every choice
key in a few pushes, so the graded run happens once, at the deadline. Nothing of the
candidate's is run here: answers.yaml is read as data and each solution file is only
parsed (Python's `ast`), never imported.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from quizzer.errors import UsageError
from quizzer.escaping import md_cell, md_code, term
from quizzer.screen.answers import FILE_NAME, read_answers
from quizzer.screen.grader import check_solution
from quizzer.screen.issued import read_record, record_path, to_paper
from quizzer.screen.load import LoadedScreen
from quizzer.screen.paper import Paper, build_paper


@dataclass
class Receipt:
    candidate: str
    received_at: str
    questions: int
    answered: int
    tasks: int
    #: Solution files present that parse as Python.
    parsed: int
    #: What the candidate should fix: files that cannot be read, answers read leniently,
    #: solution files missing or with a syntax error.
    problems: list[str] = field(default_factory=list)
    #: path -> SHA-256 of every file received.
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = [
            f"received the hand-in of {term(self.candidate)} at {self.received_at}: "
            f"{self.answered} of {self.questions} answer(s) given, {self.parsed} of "
            f"{self.tasks} solution file(s) present and parse as Python",
        ]
        lines += [f"  to fix: {term(p)}" for p in self.problems]
        lines.append(
            "No scores before the deadline: the hand-in is graded once, after it."
            if self.ok
            else "Fix these and push again; the hand-in is graded once, after the deadline."
        )
        return "\n".join(lines)

    def markdown(self) -> str:
        icon = "✅" if self.ok else "⚠️"
        out = [
            f"## {icon} Received: {md_code(self.candidate)}",
            "",
            f"{self.received_at}: {self.answered} of {self.questions} answer(s) given, "
            f"{self.parsed} of {self.tasks} solution file(s) present and parse as Python.",
            "",
        ]
        if self.problems:
            out += ["To fix:", ""] + [f"- {md_cell(p)}" for p in self.problems] + [""]
        out += ["| File | SHA-256 |", "| --- | --- |"]
        out += [f"| {md_code(p, in_table=True)} | `{h}` |" for p, h in self.files.items()]
        out += ["", "No scores before the deadline: the hand-in is graded once, after it."]
        return "\n".join(out) + "\n"


def _paper(loaded: LoadedScreen, candidate: str, issued: Path) -> Paper:
    """The paper issued to the candidate, or the one they would be issued (a receipt
    records nothing)."""
    path = record_path(issued, candidate)
    return to_paper(read_record(path)) if path.exists() else build_paper(loaded, candidate)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_receipt(loaded: LoadedScreen, candidate: str, folder: Path, issued: Path) -> Receipt:
    if folder.is_symlink() or not folder.is_dir():
        raise UsageError(f"{folder}: no such submission folder (a real folder, not a link)")
    paper = _paper(loaded, candidate, issued)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    receipt = Receipt(candidate, stamp, len(paper.questions()), 0, len(paper.tasks()), 0)
    if paper.questions():
        answers_path = folder / FILE_NAME
        try:
            answers = read_answers(answers_path, paper)
        except UsageError as exc:
            receipt.problems.append(str(exc))
        else:
            receipt.files[FILE_NAME] = _digest(answers_path)
            given = {k for k, v in answers.responses.items() if v not in (None, "", [])}
            receipt.answered = len(given)
            receipt.problems += [f"{FILE_NAME} {k}: {n}" for k, n in answers.notes.items()]
    for item in paper.tasks():
        path, _, note = check_solution(folder, item.label)
        if path is None:
            receipt.problems.append(note)
            continue
        shown = path.relative_to(folder).as_posix()
        receipt.files[shown] = _digest(path)
        try:
            ast.parse(path.read_bytes(), filename=shown)
        except SyntaxError as exc:
            receipt.problems.append(f"{shown}:{exc.lineno}: SyntaxError: {exc.msg}")
        except ValueError as exc:  # null bytes
            receipt.problems.append(f"{shown}: cannot be parsed ({exc})")
        else:
            receipt.parsed += 1
    return receipt

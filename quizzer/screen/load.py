"""Load a screen file: read its YAML, validate it against `quizzer.screen.models`, load
the banks it names, and check it against them (ids exist, draws can be filled,
thresholds can be reached).

Called by the screen commands (`quizzer screen ...`, `quizzer exam`) and by the
practice UI when it opens a screen file. Reuses the bank's YAML reader and its
pydantic-error mapper, so every problem is reported as `file:line:column: field:
message (did you mean ...?)`; all problems of a file are reported at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from quizzer.bank import locate
from quizzer.bank.loader import Bank, load_bank, validate_paths
from quizzer.bank.models import QUESTION_TYPES, Coding
from quizzer.bank.problems import BankProblemError, Problem, display_path, suggest

# The bank's own mapper from pydantic errors to positioned problems: one reporter for
# every YAML file quizzer reads.
from quizzer.bank.schema import _problems, _Where, field_name
from quizzer.bank.yamlread import DataPath, Document, YamlReadError, describe, load
from quizzer.errors import BankError
from quizzer.screen.models import BUNDLED, QuestionItem, Screen, Threshold

DIFFICULTIES = ("easy", "medium", "hard")
DRAWABLE_TYPES = tuple(t for t in QUESTION_TYPES if t != "coding")


class ScreenError(BankError):
    """A screen file is invalid; carries every positioned problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            msg = str(self.problems[0])
        else:
            lines = "\n".join(str(p) for p in self.problems)
            msg = f"{len(self.problems)} problems in the screen file:\n{lines}"
        super().__init__(msg)


@dataclass(frozen=True)
class LoadedScreen:
    """A valid screen and the bank it draws from."""

    screen: Screen
    path: Path
    #: SHA-256 of the screen file, recorded in every result.
    sha256: str
    bank: Bank

    @property
    def name(self) -> str:
        return self.path.stem


class _Report:
    def __init__(self, path: Path, doc: Document) -> None:
        self.path, self.doc = path, doc
        self.problems: list[Problem] = []

    def add(self, at: DataPath, message: str, suggestion: str | None = None) -> None:
        pos = self.doc.value_pos(at)
        field = field_name(at) or None
        self.problems.append(
            Problem(self.path, pos.line, pos.column, None, field, message, suggestion)
        )


def read_screen(path: Path) -> tuple[Screen, Document]:
    """The screen model of the file at `path` (no bank checks)."""
    path = Path(path)
    try:
        doc = load(path)
    except YamlReadError as exc:
        raise ScreenError([Problem(path, exc.line, exc.column, None, None, exc.message)]) from None
    if not isinstance(doc.data, dict):
        problem = Problem(
            path,
            1,
            1,
            None,
            None,
            f"a screen file is a mapping (title:, banks:, sections:, ...), "
            f"got {describe(doc.data)}",
        )
        raise ScreenError([problem])
    try:
        return Screen.model_validate(doc.data), doc
    except ValidationError as exc:
        where = _Where(path, doc, (), None)
        raise ScreenError(list(_problems(exc, Screen, doc.data, where))) from None


def bank_folders(screen: Screen, path: Path, doc: Document) -> list[Path]:
    report = _Report(path, doc)
    folders: list[Path] = []
    for index, entry in enumerate(screen.banks):
        if entry == BUNDLED:
            folders.append(locate.bundled_bank_dir())
            continue
        folder = (path.parent / entry).expanduser()
        if not folder.exists():
            report.add(
                ("banks", index),
                f"bank folder {display_path(folder)} does not exist (paths are relative to "
                f"the screen file; '{BUNDLED}' names the bank quizzer ships)",
            )
        folders.append(folder)
    if report.problems:
        raise ScreenError(report.problems)
    return folders


def load_screen(path: Path) -> LoadedScreen:
    """Read, validate and check the screen at `path` against its banks. Raises
    `ScreenError` (exit 2) listing every problem, or the bank's `BankError`."""
    path = Path(path)
    screen, doc = read_screen(path)
    folders = bank_folders(screen, path, doc)
    try:
        bank = load_bank(folders, include_bundled=False, env={})
    except BankProblemError:
        # loading stops at the first problem; validation lists every one of them
        found = validate_paths(folders)
        if found:
            raise BankProblemError(found) from None
        raise
    problems = check_against_bank(screen, bank, path, doc)
    if problems:
        raise ScreenError(problems)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedScreen(screen, path, sha, bank)


def check_against_bank(screen: Screen, bank: Bank, path: Path, doc: Document) -> list[Problem]:
    """Every problem of a valid screen model against `bank`."""
    report = _Report(path, doc)
    ids = bank.ids()
    fixed = _fixed_ids(screen, bank)
    used: dict[str, DataPath] = {}
    earlier_draws: list[tuple[set[str], int]] = []
    seen_sections: set[str] = set()
    max_total = 0.0
    for s_index, section in enumerate(screen.sections):
        s_at: DataPath = ("sections", s_index)
        if section.id in seen_sections:
            report.add((*s_at, "id"), f"section id '{section.id}' is used twice")
        seen_sections.add(section.id)
        section_max = 0.0
        for q_index, item in enumerate(section.questions):
            at: DataPath = (*s_at, "questions", q_index)
            points = item.points or section.points
            if item.id is not None:
                _check_pick(report, bank, item.id, at, used)
                section_max += points
            else:
                pool = _check_draw(report, bank, item, at, fixed, earlier_draws)
                if pool is not None:
                    earlier_draws.append((pool, item.draw or 0))
                section_max += points * (item.draw or 0)
        for t_index, task_item in enumerate(section.tasks):
            at = (*s_at, "tasks", t_index)
            section_max += task_item.points
            if task_item.id not in ids:
                hint = suggest(task_item.id, [t.id for t in bank.tasks()])
                report.add((*at, "id"), f"no coding task '{task_item.id}' in the banks", hint)
                continue
            task = bank.get(task_item.id)
            if not isinstance(task, Coding):
                report.add(
                    (*at, "id"),
                    f"'{task.id}' is a {task.type} question; list it under 'questions'",
                )
                continue
            _mark_used(report, task.id, (*at, "id"), used)
            if task_item.checks is not None:
                for name in task_item.checks:
                    if name not in task.spec.checks:
                        report.add(
                            (*at, "checks", name),
                            f"task '{task.id}' does not run the check '{name}'; its checks "
                            f"are: {', '.join(task.spec.checks)}",
                        )
                if not any(task_item.checks.values()):
                    report.add((*at, "checks"), "every weight is 0; give some check a weight")
        _check_threshold(report, section.threshold, section_max, (*s_at, "threshold"))
        max_total += section_max
    _check_threshold(report, screen.threshold, max_total, ("threshold",))
    return report.problems


def _fixed_ids(screen: Screen, bank: Bank) -> set[str]:
    return {
        item.id
        for section in screen.sections
        for item in section.questions
        if item.id is not None and item.id in bank
    }


def _mark_used(report: _Report, qid: str, at: DataPath, used: dict[str, DataPath]) -> None:
    if qid in used:
        first = report.doc.value_pos(used[qid])
        report.add(at, f"'{qid}' is already on the paper (line {first.line}); list it once")
    else:
        used[qid] = at


def _check_pick(
    report: _Report, bank: Bank, qid: str, at: DataPath, used: dict[str, DataPath]
) -> None:
    id_at = (*at, "id")
    if qid not in bank:
        concept = [q.id for q in bank.questions if q.type != "coding"]
        report.add(id_at, f"no question '{qid}' in the banks", suggest(qid, concept))
        return
    if bank.get(qid).type == "coding":
        report.add(id_at, f"'{qid}' is a coding task; list it under 'tasks'")
        return
    _mark_used(report, qid, id_at, used)


def _check_draw(
    report: _Report,
    bank: Bank,
    item: QuestionItem,
    at: DataPath,
    fixed: set[str],
    earlier: list[tuple[set[str], int]],
) -> set[str] | None:
    known = {
        "topic": bank.topics(),
        "tag": bank.tags(),
        "type": DRAWABLE_TYPES,
        "difficulty": DIFFICULTIES,
    }
    ok = True
    for rule, choices in known.items():
        value: Any = getattr(item, rule)
        values = (value,) if isinstance(value, str) else (value or ())
        for v_index, v in enumerate(values):
            if v not in choices:
                where = (*at, rule) if isinstance(value, str) else (*at, rule, v_index)
                shown = ", ".join(choices) if len(choices) <= 12 else "see `quizzer bank stats`"
                report.add(where, f"no {rule} '{v}' in the banks ({shown})", suggest(v, choices))
                ok = False
    for e_index, qid in enumerate(item.exclude):
        if qid not in bank:
            report.add(
                (*at, "exclude", e_index),
                f"no question '{qid}' in the banks",
                suggest(qid, bank.ids()),
            )
    if not ok:
        return None
    pool = {
        q.id
        for q in bank.questions
        if q.type != "coding"
        and q.id not in fixed
        and q.id not in item.exclude
        and item.matches(q.topic, q.tags, q.type, q.difficulty)
    }
    count = item.draw or 0
    # Earlier draws may take questions from this pool first, whatever the candidate.
    needed = count + sum(n for other, n in earlier if other & pool)
    if len(pool) < needed:
        taken = needed - count
        more = f" ({taken} of them may go to earlier draws)" if taken else ""
        report.add(
            (*at, "draw"),
            f"draws {count} but only {len(pool)} question(s) match{more}; draw fewer or widen "
            "the rules",
        )
    return pool


def _check_threshold(
    report: _Report, threshold: Threshold | None, max_points: float, at: DataPath
) -> None:
    if threshold is not None and threshold.points is not None and threshold.points > max_points:
        report.add(
            (*at, "points"),
            f"needs {threshold.points:g} points but at most {max_points:g} can be scored",
        )


def public_questions(loaded: LoadedScreen) -> list[str]:
    """The questions and tasks this screen can put on a paper that come from the bank
    quizzer ships: their answer keys and reference solutions are installed with
    `pip install quizzer`, so any candidate can read them. Tasks and fixed picks first,
    then each public question in a draw's pool."""
    public_root = locate.bundled_bank_dir().resolve()

    def public(qid: str) -> bool:
        try:
            return loaded.bank.location(qid).path.resolve().is_relative_to(public_root)
        except BankError:
            return False

    # tasks and fixed picks first: they are on every paper
    found = [t.id for s in loaded.screen.sections for t in s.tasks if public(t.id)]
    for section in loaded.screen.sections:
        found += [i.id for i in section.questions if i.id is not None and public(i.id)]
    for section in loaded.screen.sections:
        for item in section.questions:
            if item.id is not None:
                continue
            found += [
                q.id
                for q in loaded.bank.questions
                if q.type != "coding"
                and q.id not in item.exclude
                and item.matches(q.topic, q.tags, q.type, q.difficulty)
                and public(q.id)
            ]
    return list(dict.fromkeys(found))

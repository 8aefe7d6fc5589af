"""Load bank folders into a `Bank`, or validate them and collect every problem.

`load_bank` is what the practice UI, the judge and the screen runner call: it stops
at the first problem with a `BankError` that names file:line:column, the question id
and the field. It first reads the files with `quickread`, which keeps no positions;
at the first problem it reads them all again with `yamlread`, the careful reader, so
that the message is exactly the careful reader's (`QUIZZER_CAREFUL_LOAD=1` skips the
quick reader). `validate_paths` is what `quizzer bank validate` calls: it runs the
same checks plus the quality checks and returns every problem, always carefully.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from quizzer.bank import locate, quickread
from quizzer.bank.checks import Entry, check_all, check_quality, task_file
from quizzer.bank.models import QUESTION_TYPES, Coding, Question
from quizzer.bank.problems import BankProblemError, Problem, ProblemSink, suggest
from quizzer.bank.schema import check_file_shape, check_question
from quizzer.bank.yamlread import Document, YamlReadError, load
from quizzer.errors import BankError

YAML_SUFFIXES = (".yaml", ".yml")
#: When set (and not "0"), `load_bank` reads every file with the careful reader only:
#: for debugging the quick reader and for timing the two against each other.
CAREFUL_ENV_VAR = "QUIZZER_CAREFUL_LOAD"

__all__ = [
    "Bank",
    "BankProblemError",
    "Location",
    "Problem",
    "check_paths",
    "collect_ids",
    "find_yaml_files",
    "load_bank",
    "load_paths",
    "validate_paths",
]


@dataclass(frozen=True)
class Location:
    """Where a question starts: its YAML file and 1-based line (and column)."""

    path: Path
    line: int
    column: int = 1


@dataclass(frozen=True)
class Bank:
    """The loaded bank: typed, immutable questions and where each came from."""

    questions: tuple[Question, ...]
    locations: Mapping[str, Location] = field(default_factory=dict, repr=False)
    #: The bank folders (or files) this bank was loaded from, in order.
    dirs: tuple[Path, ...] = ()
    _by_id: Mapping[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(self.questions))
        object.__setattr__(self, "locations", MappingProxyType(dict(self.locations)))
        by_id = {q.id: q for q in self.questions}
        if len(by_id) != len(self.questions):
            raise BankError("the bank holds the same question id twice")
        object.__setattr__(self, "_by_id", MappingProxyType(by_id))

    def __len__(self) -> int:
        return len(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def get(self, question_id: str) -> Question:
        """The question with this id; a `BankError` with a suggestion otherwise."""
        try:
            return self._by_id[question_id]
        except KeyError:
            hint = suggest(question_id, self._by_id)
            more = f"; did you mean '{hint}'?" if hint else "; `quizzer bank list` shows the ids"
            raise BankError(f"no question with id '{question_id}' in the bank{more}") from None

    def filter(
        self,
        topic: str | None = None,
        tag: str | None = None,
        type: str | None = None,
        difficulty: str | None = None,
    ) -> tuple[Question, ...]:
        """The questions that match every criterion given (None matches anything)."""
        return tuple(
            q
            for q in self.questions
            if (topic is None or q.topic == topic)
            and (tag is None or tag in q.tags)
            and (type is None or q.type == type)
            and (difficulty is None or q.difficulty == difficulty)
        )

    def topics(self) -> tuple[str, ...]:
        return tuple(sorted({q.topic for q in self.questions}))

    def tags(self) -> tuple[str, ...]:
        return tuple(sorted({t for q in self.questions for t in q.tags}))

    def types(self) -> tuple[str, ...]:
        present = {q.type for q in self.questions}
        return tuple(t for t in QUESTION_TYPES if t in present)

    def location(self, question_id: str) -> Location:
        self.get(question_id)
        try:
            return self.locations[question_id]
        except KeyError:
            raise BankError(f"question '{question_id}' was not loaded from a file") from None

    def resolve(self, question_id: str, relpath: str) -> Path:
        """The absolute path of a file a task names (starter, reference, a variant),
        relative to the YAML file that holds the task."""
        where = self.location(question_id)
        target, reason = task_file(where.path, relpath)
        if target is None:
            raise BankError(f"{where.path}:{where.line}: [{question_id}] {reason}")
        return target

    def tasks(self) -> tuple[Coding, ...]:
        return tuple(q for q in self.questions if isinstance(q, Coding))


def find_yaml_files(path: Path) -> list[Path]:
    """Every *.yaml / *.yml below the folder `path` (sorted, hidden folders skipped),
    or `path` itself when it is not a folder."""
    if not path.is_dir():
        return [path]
    found = [
        p
        for p in path.rglob("*")
        if p.suffix in YAML_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    return sorted(found)


def load_paths(
    paths: Iterable[Path],
    sink: ProblemSink,
    *,
    quality: bool = False,
    require_translations: Callable[[Path], bool] = lambda _: False,
    reader: Callable[[Path], Document] = load,
) -> list[Entry]:
    """Read (with `reader`), validate and check every bank file under `paths`; report
    problems to `sink` and return the questions that passed the schema."""
    entries: list[Entry] = []
    for root in paths:
        root = Path(root)
        if not root.exists():
            sink.report(Problem(root, 0, 0, None, None, "no such file or folder"))
            continue
        files = find_yaml_files(root)
        if not files:
            sink.report(
                Problem(root, 0, 0, None, None, "holds no .yaml files; is this a bank folder?")
            )
        for file in files:
            entries.extend(_load_file(file.absolute(), sink, reader))
    check_all(entries, sink)
    if quality:
        check_quality(entries, sink, require_translations)
    return entries


#: Problems reported for one file before the rest of its entries are skipped: a
#: generated or damaged file would otherwise give one line per entry (350,000 for a
#: 1 MiB list of numbers), and checking them all took seconds.
MAX_PROBLEMS_PER_FILE = 100


def _load_file(file: Path, sink: ProblemSink, reader: Callable[[Path], Document]) -> list[Entry]:
    try:
        doc = reader(file)
    except YamlReadError as exc:
        sink.report(Problem(file, exc.line, exc.column, None, None, exc.message))
        return []
    entries = []
    before = len(sink.problems)
    paths = check_file_shape(file, doc, sink)
    for index, path in enumerate(paths):
        if len(sink.problems) - before >= MAX_PROBLEMS_PER_FILE:
            pos = doc.value_pos(path)
            left = len(paths) - index
            sink.report(
                Problem(
                    file, pos.line, pos.column, None, None,
                    f"stopped after {MAX_PROBLEMS_PER_FILE} problems in this file; the "
                    f"{left} {'entry' if left == 1 else 'entries'} from here on were not "
                    "checked: fix the problems above and validate again",
                )
            )  # fmt: skip
            break
        question = check_question(file, doc, path, sink)
        if isinstance(question, Coding):
            question = question.with_source(file)
        if question is not None:
            entries.append(Entry(question, file, doc, path))
    return entries


def bank_from_entries(entries: Sequence[Entry], dirs: Sequence[Path] = ()) -> Bank:
    locations = {}
    for entry in entries:
        pos = entry.doc.value_pos(entry.path)
        locations[entry.question.id] = Location(entry.file, pos.line, pos.column)
    return Bank(tuple(e.question for e in entries), locations, tuple(dirs))


def load_bank(
    dirs: Sequence[Path] | None = None,
    *,
    include_bundled: bool = True,
    env: Mapping[str, str] | None = None,
) -> Bank:
    """The bundled bank (or the folders in `QUIZZER_BANK`, which replace it) plus
    `dirs`. Raises `BankError` (a `BankProblemError`) at the first problem."""
    roots = locate.bank_dirs(dirs, include_bundled=include_bundled, env=env)
    entries = _load_quickly(roots)
    if entries is None:
        entries = load_paths(roots, ProblemSink(stop_at_first=True))
    if not entries:
        raise BankError("no questions in " + ", ".join(str(r) for r in roots))
    return bank_from_entries(entries, roots)


def _load_quickly(roots: Sequence[Path]) -> list[Entry] | None:
    """The entries, read with the quick reader; None at the first problem (its
    message would lack positions) or when `QUIZZER_CAREFUL_LOAD` is set."""
    if os.environ.get(CAREFUL_ENV_VAR, "") not in ("", "0"):
        return None
    try:
        return load_paths(roots, ProblemSink(stop_at_first=True), reader=_read_quickly)
    except BankProblemError:
        return None


def _read_quickly(file: Path) -> Document:
    """The quick reader's document, or the careful reader's where it is needed."""
    doc = quickread.load(file)
    return doc if doc is not None else load(file)


def check_paths(
    paths: Sequence[Path], *, require_translations: bool | None = None
) -> tuple[list[Entry], list[Problem]]:
    """Every question that passed the schema, and every problem (sorted by file and
    position), in the bank files under `paths`, with the quality checks included.
    Both languages are required for files of the bundled bank, or everywhere when
    `require_translations` is True (nowhere when False)."""
    sink = ProblemSink(stop_at_first=False)

    def needs_translations(path: Path) -> bool:
        if require_translations is not None:
            return require_translations
        return locate.is_bundled(path)

    entries = load_paths(paths, sink, quality=True, require_translations=needs_translations)
    return entries, sorted(sink.problems, key=Problem.sort_key)


def validate_paths(
    paths: Sequence[Path], *, require_translations: bool | None = None
) -> list[Problem]:
    """Every problem in the bank files under `paths` (see `check_paths`)."""
    return check_paths(paths, require_translations=require_translations)[1]


def collect_ids(paths: Iterable[Path]) -> set[str]:
    """The ids the files under `paths` claim, read leniently (for `bank new`, which
    must not reuse an id even while the bank has problems)."""
    ids: set[str] = set()
    for root in paths:
        if not Path(root).exists():
            continue
        for file in find_yaml_files(Path(root)):
            try:
                data = load(file).data
            except YamlReadError:
                continue
            items = data.get("questions") if isinstance(data, dict) else None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    ids.add(item["id"])
    return ids

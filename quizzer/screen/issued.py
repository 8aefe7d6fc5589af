"""Issued papers: what each candidate was given, frozen when it was issued.

`quizzer screen paper` and `quizzer exam` record the paper they hand out in
`<issued>/<candidate>.json` (by default `issued/<screen name>/` beside the screen
file, or under $QUIZZER_ISSUED): labels, bank ids, points, sections and pass marks, a
content hash of every question and task, the screen's scoring and judge limits, and
the quizzer version.
`quizzer screen grade` grades that record, never a fresh draw, so adding questions to
the bank, editing the screen or upgrading quizzer cannot change what a candidate is
graded on. A question that is gone stops grading; one that changed (or changed
scoring settings) stops it too, unless `--reissue` accepts the current version, which
is then recorded, with a note in the results.

The record stays on the grader's side, with the screen: it names bank ids, which give
answers away, so it never goes into the candidate's paper folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from quizzer import __version__
from quizzer.bank.models import Coding, Question
from quizzer.bank.problems import display_path
from quizzer.errors import UsageError
from quizzer.screen.load import LoadedScreen
from quizzer.screen.models import LimitsOverride, PartialCredit, TaskItem, Threshold
from quizzer.screen.paper import Paper, PaperItem, PaperSection, build_paper
from quizzer.screen.report import write_text

KIND = "quizzer-issued-paper"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssuedItem(_Model):
    label: str
    kind: Literal["question", "task"]
    question_id: str
    section: str
    points: float
    source: Literal["pick", "draw"]
    task: TaskItem | None = None
    #: `content_hash` of the question or task when the paper was issued.
    sha256: str


class IssuedSection(_Model):
    id: str
    title: str
    threshold: Threshold | None = None
    time_limit_minutes: int | None = None
    items: list[IssuedItem]


class IssuedPaper(_Model):
    schema_version: Literal[1] = 1
    kind: Literal["quizzer-issued-paper"] = "quizzer-issued-paper"
    candidate: str
    title: str
    #: SHA-256 of the screen file it was drawn from.
    screen_sha256: str
    issued_at: str
    quizzer_version: str
    threshold: Threshold
    #: With the candidate's extra time, as the paper states it.
    time_limit_minutes: int | None = None
    deadline: str | None = None
    extra_time: str = ""
    #: The screen's scoring rules and judge limits in force when it was issued.
    partial_credit: PartialCredit
    limits: LimitsOverride
    sections: list[IssuedSection]
    #: What `--reissue` accepted since, oldest first.
    reissued: list[str] = []


def content_hash(loaded: LoadedScreen, question: Question) -> str:
    """SHA-256 of what grades a question: its fields as the bank states them (defaults
    left out, so a quizzer release that adds a field with a default changes no hash),
    and for a task also its reference solution and starter files."""
    body = question.model_dump(mode="json", exclude_defaults=True)
    h = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode())
    if isinstance(question, Coding):
        for name in (question.reference, question.starter):
            try:
                h.update(loaded.bank.resolve(question.id, name).read_bytes())
            except OSError:
                h.update(b"<unreadable>")
    return h.hexdigest()


#: Where issued papers go when `--issued` is not given: `$QUIZZER_ISSUED/<screen
#: name>/`, else `issued/<screen name>/` beside the screen file.
ENV = "QUIZZER_ISSUED"


def default_dir(loaded: LoadedScreen) -> Path:
    base = os.environ.get(ENV)
    return (Path(base) if base else loaded.path.parent / "issued") / loaded.name


def record_path(folder: Path, candidate: str) -> Path:
    return folder / f"{candidate}.json"


def to_record(loaded: LoadedScreen, paper: Paper) -> IssuedPaper:
    screen = loaded.screen
    sections = [
        IssuedSection(
            id=s.id,
            title=s.title,
            threshold=s.threshold,
            time_limit_minutes=s.time_limit_minutes,
            items=[
                IssuedItem(
                    label=i.label,
                    kind=i.kind,
                    question_id=i.question_id,
                    section=i.section,
                    points=i.points,
                    source=i.source,
                    task=i.task,
                    sha256=content_hash(loaded, loaded.bank.get(i.question_id)),
                )
                for i in s.items
            ],
        )
        for s in paper.sections
    ]
    return IssuedPaper(
        candidate=paper.candidate,
        title=paper.title,
        screen_sha256=loaded.sha256,
        issued_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        quizzer_version=__version__,
        threshold=paper.threshold,
        time_limit_minutes=paper.time_limit_minutes,
        deadline=paper.deadline,
        extra_time=paper.extra_time,
        partial_credit=screen.partial_credit,
        limits=screen.judge.limits,
        sections=sections,
    )


def to_paper(record: IssuedPaper) -> Paper:
    sections = tuple(
        PaperSection(
            s.id,
            s.title,
            tuple(
                PaperItem(i.label, i.kind, i.question_id, i.section, i.points, i.source, i.task)
                for i in s.items
            ),
            s.threshold,
            s.time_limit_minutes,
        )
        for s in record.sections
    )
    return Paper(
        record.title,
        record.candidate,
        sections,
        record.threshold,
        record.time_limit_minutes,
        record.deadline,
        record.extra_time,
    )


def _write(path: Path, record: IssuedPaper) -> None:
    """Write `record` whole or not at all (a UsageError naming the file if it cannot)."""
    write_text(path, record.model_dump_json(indent=2) + "\n")


def read_record(path: Path) -> IssuedPaper:
    try:
        return IssuedPaper.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{display_path(path)}: cannot read the issued paper: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise UsageError(
            f"{display_path(path)}: not an issued paper ({where}: {first['msg']}); it is "
            "written by `quizzer screen paper`: restore it from version control"
        ) from None


def issue(loaded: LoadedScreen, candidate: str, folder: Path) -> tuple[Paper, bool]:
    """The candidate's paper: the one issued before, else a fresh draw, recorded now.
    True when it was issued by this call."""
    path = record_path(folder, candidate)
    if path.exists():
        return to_paper(read_record(path)), False
    paper = build_paper(loaded, candidate)
    _write(path, to_record(loaded, paper))
    return paper, True


def _differences(loaded: LoadedScreen, record: IssuedPaper) -> tuple[list[str], list[str]]:
    """(gone, changed): what of the record the bank and screen no longer hold as they
    were, in words."""
    gone, changed = [], []
    for section in record.sections:
        for item in section.items:
            what = f"{item.label} ({item.question_id})" if item.kind == "question" else item.label
            if item.question_id not in loaded.bank:
                gone.append(what)
            elif content_hash(loaded, loaded.bank.get(item.question_id)) != item.sha256:
                changed.append(f"{what} changed")
    screen = loaded.screen
    if screen.partial_credit != record.partial_credit:
        changed.append("the screen's partial_credit changed")
    if screen.judge.limits != record.limits:
        changed.append("the screen's judge limits changed")
    return gone, changed


def paper_to_grade(
    loaded: LoadedScreen, candidate: str, folder: Path, *, reissue: bool = False
) -> tuple[Paper, IssuedPaper, list[str]]:
    """The paper to grade `candidate` on, its record, and notes for the results.
    Refuses (UsageError) when the bank or screen no longer match the issued paper,
    unless `reissue` (a question that is gone is refused either way)."""
    path = record_path(folder, candidate)
    notes: list[str] = []
    if not path.exists():
        paper, _ = issue(loaded, candidate, folder)
        notes.append(
            f"no paper had been issued to {candidate} (by `quizzer screen paper`): it was "
            f"drawn from the bank at grading and recorded in {display_path(path)}"
        )
        return paper, read_record(path), notes
    record = read_record(path)
    if record.candidate != candidate:
        raise UsageError(
            f"{display_path(path)} is the paper of {record.candidate!r}, not {candidate!r}"
        )
    gone, changed = _differences(loaded, record)
    issued = f"the paper issued to {candidate} on {record.issued_at} ({display_path(path)})"
    if gone:
        raise UsageError(
            f"{issued} asks {', '.join(gone)}, which the screen's banks no longer hold; "
            "restore them to grade this paper"
        )
    if changed and not reissue:
        raise UsageError(
            f"{issued} no longer matches the bank and screen: {'; '.join(changed)}. "
            "Grading it now could change the candidate's score without anyone noticing: "
            "restore what changed, or pass --reissue to grade the issued questions as "
            "they are now (recorded in the paper and noted in the results)"
        )
    if changed:
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = f"re-issued on {stamp}: {'; '.join(changed)}"
        fresh = to_record(loaded, to_paper(record))
        record = record.model_copy(
            update={
                "sections": fresh.sections,
                "partial_credit": fresh.partial_credit,
                "limits": fresh.limits,
                "reissued": [*record.reissued, note],
            }
        )
        _write(path, record)
        notes.append(note)
    if record.quizzer_version != __version__:
        notes.append(f"issued with quizzer {record.quizzer_version}, graded with {__version__}")
    return to_paper(record), record, notes

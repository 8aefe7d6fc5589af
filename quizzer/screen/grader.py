"""Grade submission folders against a screen: rebuild each candidate's paper, grade the
answers file, judge the solution files in parallel on warm sandbox workers, and build
one results document per candidate.

Called by `quizzer screen grade` (one candidate, or every folder of `--candidates`).
A submission folder holds `answers.yaml` and `solutions/<task-id>.py`. This module
imports the judge (and so torch) only when there is a file to judge.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer import __version__
from quizzer.bank.models import Coding
from quizzer.bank.problems import display_path, suggest
from quizzer.errors import JudgeError, QuizzerError, UsageError
from quizzer.judge.files import LINK_NOTE
from quizzer.screen import sampling, scoring
from quizzer.screen.answers import FILE_NAME, read_answers
from quizzer.screen.issued import default_dir, paper_to_grade
from quizzer.screen.load import LoadedScreen
from quizzer.screen.models import JudgeSettings
from quizzer.screen.paper import SOLUTIONS, Paper, PaperItem, question_of, task_of
from quizzer.screen.results import ItemResult, ScreenInfo, ScreenResults, SectionResult
from quizzer.screen.review import merge, read_reviews, reviews_path
from quizzer.screen.similarity import find_matches

if TYPE_CHECKING:
    from quizzer.judge.result import JudgeResult
    from quizzer.judge.sandbox.base import Sandbox

#: Larger solution files are not judged (the judge has its own, larger cap).
MAX_SOLUTION_BYTES = 256 * 1024

OnJudged = Callable[[str, str, "JudgeResult | None", int, int], None]


@dataclass(frozen=True)
class JudgeChoice:
    """The judge settings in force: the screen's, with the command line's on top."""

    sandbox: str
    device: str
    workers: int
    allow_weak: bool
    #: Where the files are judged: this machine (local) or a Ray cluster (ray).
    backend: str = "local"
    #: The Ray cluster's address (None: $RAY_ADDRESS, or one started here).
    address: str | None = None
    #: The ledger every judgement is recorded in (`quizzer.judge.scale.ledger`): a
    #: grading whose driver died is finished by grading again with the same ledger.
    ledger: Path | None = None
    #: With --backend ray and --device cuda: the share of a GPU each file's slot holds.
    gpu_share: float = 1.0


def judge_choice(
    settings: JudgeSettings,
    *,
    sandbox: str | None = None,
    device: str | None = None,
    workers: int | None = None,
    allow_weak: bool | None = None,
    backend: str = "local",
    address: str | None = None,
    ledger: Path | None = None,
    gpu_share: float = 1.0,
) -> JudgeChoice:
    return JudgeChoice(
        sandbox=sandbox or settings.sandbox,
        device=device or settings.device,
        workers=workers or settings.workers,
        allow_weak=settings.allow_weak_sandbox if allow_weak is None else allow_weak,
        backend=backend,
        address=address,
        ledger=ledger,
        gpu_share=gpu_share,
    )


class NotGraded(JudgeError):
    """A solution could not be judged for a reason that is not the candidate's (a lost
    node, a sandbox that would not start): the grade is withheld, never a zero, and
    the exit status (3) says to grade again."""

    exit_code = 3


@dataclass
class Graded:
    """One candidate's outcome: results, or the error that kept the folder from being
    graded (batch mode only; a single candidate's error is raised)."""

    candidate: str
    folder: Path
    results: ScreenResults | None = None
    error: str | None = None
    #: The error is the judge's machines' (grade again), not the folder's.
    infrastructure: bool = False


@dataclass
class _Job:
    index: int
    item: PaperItem
    task: Coding
    path: Path
    result: ItemResult | None = None
    #: Set when the judge itself failed (a bug or a broken sandbox, not the candidate's doing).
    crash: str | None = None
    #: The crash is an infrastructure failure: the file was not judged at all.
    infrastructure: bool = False


def solution_path(folder: Path, task_id: str) -> Path:
    return folder / SOLUTIONS / f"{task_id}.py"


def check_solution(folder: Path, task_id: str) -> tuple[Path | None, str | None, str]:
    """(file to judge, None, shown path), or (None, "missing" | "invalid", note). A
    link or anything outside the folder is refused: the grader can read files the
    candidate must not get judged as theirs (reference solutions, for one)."""
    path = solution_path(folder, task_id)
    shown = f"{SOLUTIONS}/{task_id}.py"
    for part in (folder / SOLUTIONS, path):
        if part.is_symlink():
            return None, "invalid", f"{shown}: {LINK_NOTE}"
    if not path.exists():
        return None, "missing", f"no solution file ({shown}): 0 points" + _misnamed(folder, task_id)
    try:
        inside = path.resolve().is_relative_to(folder.resolve())
    except OSError:
        inside = False
    if not inside or not path.is_file():
        return None, "invalid", f"{shown} is not a regular file inside the submission folder"
    if path.stat().st_size > MAX_SOLUTION_BYTES:
        return None, "invalid", f"{shown} is larger than {MAX_SOLUTION_BYTES // 1024} KiB"
    return path, None, shown


def _misnamed(folder: Path, task_id: str) -> str:
    """A hint when the solution is there under another name (`simple_nn.py` for the
    task `simple-nn`)."""
    try:
        names = sorted(p.name for p in (folder / SOLUTIONS).iterdir() if p.suffix == ".py")
    except OSError:
        return ""
    want = f"{task_id}.py"
    close = [n for n in names if n.lower().replace("_", "-") == want] or [
        n for n in names if suggest(n, [want]) == want
    ]
    if not close:
        return ""
    return f"; {SOLUTIONS}/{close[0]} is there: name it {SOLUTIONS}/{want} to have it judged"


def _with_limits(task: Coding, settings: JudgeSettings) -> Coding:
    updates = settings.limits.model_dump(exclude_none=True)
    if not updates:
        return task
    spec = task.spec.model_copy(update={"limits": task.spec.limits.model_copy(update=updates)})
    return task.model_copy(update={"spec": spec})


@dataclass(frozen=True)
class Issued:
    """Where the issued papers are (`quizzer.screen.issued`), and whether grading may
    accept questions that changed since they were issued."""

    folder: Path
    reissue: bool = False


def _prepare(
    loaded: LoadedScreen, candidate: str, folder: Path, issued: Issued
) -> tuple[Paper, list[str], dict[str, ItemResult], list[tuple[PaperItem, Coding, Path]]]:
    if folder.is_symlink():
        raise UsageError(f"{display_path(folder)} is a symbolic link; copy the folder instead")
    if not folder.is_dir():
        raise UsageError(f"{display_path(folder)}: no such submission folder")
    paper, _, notes = paper_to_grade(loaded, candidate, issued.folder, reissue=issued.reissue)
    screen = loaded.screen
    done: dict[str, ItemResult] = {}
    if paper.questions():
        answers = read_answers(folder / FILE_NAME, paper)
        for item in paper.questions():
            question = question_of(loaded, item)
            done[item.label] = scoring.score_question(
                item,
                question,
                answers.response(item.label, question),
                screen.partial_credit,
                screen.lang,
                read_note=answers.notes.get(item.label),
            ).model_copy(update={"seconds": answers.seconds.get(item.label)})
    to_judge = []
    for item in paper.tasks():
        task = task_of(loaded, item)
        path, problem, note = check_solution(folder, task.id)
        if path is None:
            done[item.label] = scoring.unjudged_task(item, task, problem or "invalid", note, None)
        else:
            to_judge.append((item, _with_limits(task, screen.judge), path))
    return paper, notes, done, to_judge


def grade_candidates(
    loaded: LoadedScreen,
    submissions: Sequence[tuple[str, Path]],
    choice: JudgeChoice,
    *,
    strict: bool = True,
    on_judged: OnJudged | None = None,
    sandbox_factory: Callable[[JudgeChoice, str], Sandbox] | None = None,
    issued: Issued | None = None,
) -> list[Graded]:
    """Grade every (candidate, folder) on the paper issued to that candidate. With
    `strict`, a folder that cannot be graded raises (exit 2); otherwise it is recorded
    in its `Graded.error` and the rest go on. All solution files are judged on one
    sandbox with `choice.workers` at a time."""
    issued = issued or Issued(default_dir(loaded))
    graded: list[Graded] = []
    prepared: list[tuple[Paper, list[str], dict[str, ItemResult]] | None] = []
    jobs: list[_Job] = []
    seen: dict[str, Path] = {}
    for index, (given, folder) in enumerate(submissions):
        graded.append(Graded(given, folder))
        try:
            candidate = sampling.check_candidate(given)
            graded[-1].candidate = candidate
            if candidate in seen:
                raise UsageError(
                    f"{display_path(folder)} and {display_path(seen[candidate])} are both "
                    f"candidate {candidate} (ids ignore case); keep one"
                )
            seen[candidate] = folder
            paper, notes, done, to_judge = _prepare(loaded, candidate, folder, issued)
        except QuizzerError as exc:
            if strict:
                raise
            graded[-1].error = str(exc)
            prepared.append(None)
            continue
        prepared.append((paper, notes, done))
        jobs += [_Job(index, item, task, path) for item, task, path in to_judge]
    if jobs:
        _judge_all(loaded, submissions, jobs, choice, on_judged, sandbox_factory)
    for job in jobs:
        entry = prepared[job.index]
        if job.crash is not None:
            if strict:
                error = NotGraded if job.infrastructure else JudgeError
                raise error(
                    f"{job.crash}; this is a fault of the judge, not of the "
                    "submission: the screen was not graded",
                    title="judge",
                )
            if graded[job.index].error is None:
                graded[job.index].error = f"not graded: {job.crash}"
                graded[job.index].infrastructure = job.infrastructure
            prepared[job.index] = None
        elif entry is not None and job.result is not None:
            entry[2][job.item.label] = job.result
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for entry, outcome in zip(prepared, graded, strict=True):
        if entry is None:
            continue
        doc = _document(loaded, entry[0], entry[2], stamp, entry[1])
        path = reviews_path(issued.folder, doc.candidate)
        try:
            doc = merge(doc, read_reviews(path, doc.candidate))
        except QuizzerError as exc:
            if strict:
                raise
            outcome.error = str(exc)
            continue
        outcome.results = doc.model_copy(update={"reviews_file": str(path)})
    _flag_similar(loaded, graded, jobs)
    return graded


def _flag_similar(loaded: LoadedScreen, graded: list[Graded], jobs: list[_Job]) -> None:
    """Note on each solution file the other candidates' files, and the reference
    solution, it is identical or nearly identical to (reviewer view only)."""
    files: dict[str, dict[str, str]] = {}
    for job in jobs:
        results = graded[job.index].results
        if results is not None:
            try:
                source = job.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            files.setdefault(job.task.id, {})[results.candidate] = source
    references = {}
    for task_id in files:
        task = loaded.bank.get(task_id)
        assert isinstance(task, Coding)
        try:
            references[task_id] = loaded.bank.resolve(task_id, task.reference).read_text(
                encoding="utf-8"
            )
        except (OSError, QuizzerError):
            continue
    found: dict[tuple[str, str], list[str]] = {}
    for match in find_matches(files, references):
        found.setdefault((match.candidate, match.task), []).append(match.describe())
    if not found:
        return
    for outcome in graded:
        results = outcome.results
        if results is None:
            continue
        sections = [
            s.model_copy(
                update={
                    "items": [
                        i.model_copy(
                            update={"similar": found.get((results.candidate, i.label), [])}
                        )
                        for i in s.items
                    ]
                }
            )
            for s in results.sections
        ]
        outcome.results = results.model_copy(update={"sections": sections})


def _open_sandbox(choice: JudgeChoice, device: str) -> Sandbox:
    from quizzer.judge import sandbox as sandboxes

    return sandboxes.open_sandbox(
        choice.sandbox, allow_weak=choice.allow_weak, device=device, workers=choice.workers
    )


def _judge_all(
    loaded: LoadedScreen,
    submissions: Sequence[tuple[str, Path]],
    jobs: list[_Job],
    choice: JudgeChoice,
    on_judged: OnJudged | None,
    sandbox_factory: Callable[[JudgeChoice, str], Sandbox] | None,
) -> None:
    from quizzer.judge.device import resolve_device
    from quizzer.judge.runner import Options, judge_file

    if choice.backend != "local" or choice.ledger is not None:
        from quizzer.screen.grade_scaled import judge_scaled

        judge_scaled(loaded, submissions, jobs, choice, on_judged, _score)
        return
    device = resolve_device(choice.device)
    sandbox = (sandbox_factory or _open_sandbox)(choice, device)
    partial = loaded.screen.partial_credit
    lock = threading.Lock()
    finished = 0

    def run(job: _Job) -> None:
        nonlocal finished
        folder = submissions[job.index][1]
        candidate = sampling.check_candidate(submissions[job.index][0])
        seed = sampling.judge_seed(loaded.screen.seed, candidate, job.task.id)
        shown = str(job.path.relative_to(folder))
        result: JudgeResult | None = None
        try:
            result = judge_file(
                job.path, job.task, sandbox, Options(device=choice.device, seed=seed), display=shown
            )
            _score(job, result, partial, shown)
        except QuizzerError:
            raise
        except Exception as exc:
            # Not the candidate's doing: their grade is withheld, never a silent zero.
            job.crash = f"the judge failed on {shown} ({type(exc).__name__}: {exc})"
        with lock:
            finished += 1
            if on_judged:
                on_judged(candidate, job.task.id, result, finished, len(jobs))

    try:
        workers = max(1, min(choice.workers, len(jobs), (os.cpu_count() or 1) * 4))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="screen-judge") as pool:
            for future in [pool.submit(run, job) for job in jobs]:
                future.result()
    finally:
        sandbox.close()


def _score(job: _Job, result: JudgeResult, partial: Any, shown: str) -> None:
    """The job's item from its judgement, or, for a file that was not judged
    (infrastructure), a crash: the candidate's grade is withheld, never a zero."""
    if result.infrastructure:
        job.crash = f"{shown} was not judged ({result.message}); grade again"
        job.infrastructure = True
        return
    job.result = scoring.score_task(job.item, job.task, result, partial, shown)


def _document(
    loaded: LoadedScreen,
    paper: Paper,
    done: dict[str, ItemResult],
    stamp: str,
    notes: list[str] | None = None,
) -> ScreenResults:
    screen = loaded.screen
    sections = []
    for section in paper.sections:
        sections.append(
            SectionResult(
                id=section.id,
                title=section.title,
                status="pending",
                points=0.0,
                max_points=section.max_points,
                pending_points=0.0,
                percent=0.0,
                threshold=scoring.threshold_info(section.threshold, section.max_points),
                time_limit_minutes=section.time_limit_minutes,
                items=[done[item.label] for item in section.items],
            )
        )
    threshold = scoring.threshold_info(screen.threshold, paper.max_points)
    assert threshold is not None
    results = ScreenResults(
        candidate=paper.candidate,
        screen=ScreenInfo(
            title=screen.title,
            file=display_path(loaded.path),
            sha256=loaded.sha256,
            seed=screen.seed,
            time_limit_minutes=paper.time_limit_minutes,
            deadline=paper.deadline,
            extra_time=paper.extra_time,
        ),
        status="pending",
        message="",
        points=0.0,
        max_points=paper.max_points,
        pending_points=0.0,
        percent=0.0,
        threshold=threshold,
        sections=sections,
        graded_at=stamp,
        quizzer_version=__version__,
        paper_notes=list(notes or ()),
    )
    return scoring.recompute(results)


def candidate_folders(root: Path) -> list[tuple[str, Path]]:
    """(candidate id, folder) for every folder under `root`, sorted; hidden folders and
    plain files are skipped (a link to a folder is listed, and refused when graded)."""
    if not root.is_dir():
        raise UsageError(f"{display_path(root)}: no such folder of candidate folders")
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        found.append((entry.name, entry))  # a link is refused per folder, in its row
    if not found:
        raise UsageError(f"{display_path(root)} holds no candidate folders")
    return found

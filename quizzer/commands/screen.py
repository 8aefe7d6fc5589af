"""`quizzer screen ...` (validate, paper, grade, review) and `quizzer exam`: the hiring
screen on the command line.

Registered by `quizzer.cli` (`app.add_typer(screen.app, name="screen")` and
`screen.register_exam(app)`). The work is done in `quizzer.screen`; this module parses
options, prints candidate-safe text (CI logs are visible to candidates: no answer
keys on stdout), and raises `QuizzerError`s, which `quizzer.cli` turns into exit 2.
A screen that was not passed (or still awaits review) exits 1 through `typer.Exit`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quizzer.commands.scale_options import AddressOpt, BackendOpt, GpuShareOpt
from quizzer.errors import UsageError
from quizzer.escaping import md_cell, md_code, term

if TYPE_CHECKING:
    from quizzer.screen.load import LoadedScreen
    from quizzer.screen.results import ScreenResults

app = typer.Typer(
    help="Hiring screens: validate a screen file, write a candidate's paper, grade "
    "submissions (one or many) and review open answers.",
    no_args_is_help=True,
)

ScreenFile = Annotated[
    Path, typer.Argument(metavar="SCREEN.yaml", help="The screen file.", show_default=False)
]
CandidateOpt = Annotated[
    str | None,
    typer.Option(
        "--candidate",
        "-c",
        metavar="ID",
        help="Candidate id, e.g. a GitHub login (case does not matter: ids are lower-cased).",
    ),
]
IssuedOpt = Annotated[
    Path | None,
    typer.Option(
        "--issued",
        metavar="DIR",
        help="Where issued papers are recorded (default: issued/<screen name>/ beside the "
        "screen file). Keep it with the screen, out of candidates' reach.",
    ),
]


def _issued_dir(loaded: LoadedScreen, issued: Path | None) -> Path:
    from quizzer.screen.issued import default_dir

    return issued or default_dir(loaded)


def _load(path: Path) -> LoadedScreen:
    from quizzer.screen.load import load_screen

    if not path.is_file():
        raise UsageError(f"{path}: no such screen file")
    return load_screen(path)


def _need_candidate(candidate: str | None) -> str:
    from quizzer.screen.sampling import check_candidate

    if not candidate:
        raise UsageError("--candidate ID is required")
    return check_candidate(candidate)


@app.command()
def validate(
    screen: ScreenFile,
    private_only: Annotated[
        bool,
        typer.Option(
            "--private-only",
            help="Make questions from the bundled public bank an error, not a warning.",
        ),
    ] = False,
) -> None:
    """Check a screen file against its banks; report every problem as file:line:column.

    Warns when the screen can ask questions or tasks of the bundled bank: their answer
    keys ship with `pip install quizzer`, so candidates can read them."""
    loaded = _load(screen)
    from quizzer.screen.load import public_questions

    public = public_questions(loaded)
    if public:
        shown = ", ".join(public[:8]) + (f" and {len(public) - 8} more" if len(public) > 8 else "")
        message = (
            f"{len(public)} question(s) or task(s) this screen can ask come from the bundled "
            f"public bank ({shown}): their answer keys and reference solutions ship with "
            "`pip install quizzer`, so a candidate can look them up. Use a private bank "
            "for a screen that counts"
        )
        if private_only:
            raise UsageError(message + " (--private-only)")
        typer.echo(f"warning: {message}", err=True)
    s = loaded.screen
    questions = sum((item.draw or 1) for section in s.sections for item in section.questions)
    drawn = sum((item.draw or 0) for section in s.sections for item in section.questions)
    tasks = sum(len(section.tasks) for section in s.sections)
    from quizzer.screen.paper import build_paper

    total = build_paper(loaded, "validate").max_points
    typer.echo(
        f"ok: {s.title!r}: {len(s.sections)} section(s), {questions} question(s) per paper "
        f"({drawn} drawn per candidate), {tasks} coding task(s), {total:g} points, pass mark "
        f"{s.threshold.describe()}; bank of {len(loaded.bank)} questions"
    )


@app.command()
def paper(
    screen: ScreenFile,
    candidate: CandidateOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="DIR", help="Folder to write (default: paper-ID)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace answers.yaml and starter files already there.")
    ] = False,
    issued: IssuedOpt = None,
) -> None:
    """Issue a candidate's paper: write paper.md (no answers), answers.yaml and
    solutions/*.py, and record what was issued, so that grading uses this paper even
    after the bank changes. Issuing again gives the same recorded paper."""
    who = _need_candidate(candidate)
    loaded = _load(screen)
    from quizzer.screen.issued import issue, record_path
    from quizzer.screen.paper_files import write_paper

    where = _issued_dir(loaded, issued)
    built, fresh = issue(loaded, who, where)
    folder = out or Path(f"paper-{who}")
    written = write_paper(loaded, built, folder, force=force)
    shown = ", ".join(p.relative_to(folder).as_posix() for p in written)
    typer.echo(f"wrote the paper of {who} to {folder}/: {shown}")
    record = record_path(where, who)
    typer.echo(
        f"recorded it in {record} (grading uses it)"
        if fresh
        else f"{who} was issued this paper before ({record}): the same paper, written again"
    )
    typer.echo(
        f"{len(built.questions())} question(s) to answer in answers.yaml, "
        f"{len(built.tasks())} task(s) in solutions/; {built.max_points:g} points"
    )


def _progress(candidate: str, task_id: str, result: Any, done: int, total: int) -> None:
    status = result.status.value.upper() if result is not None else "ERROR"
    seconds = f" ({result.timings.total_s:.1f} s)" if result is not None else ""
    typer.echo(f"[{done}/{total}] {candidate} {task_id}: {status}{seconds}", err=True)


def _text(results: ScreenResults) -> str:
    lines = [
        f"{results.candidate}: {results.status.upper()}: {results.message}",
    ]
    for s in results.sections:
        mark = f", pass mark {s.threshold.rule}" if s.threshold else ""
        lines.append(
            f"  {s.id}: {s.points:g}/{s.max_points:g} points ({s.percent:g}%){mark}: {s.status}"
        )
        for item in s.items:
            got = "pending" if item.points is None else f"{item.points:g}"
            lines.append(
                f"    {term(item.label):<12} {got}/{item.max_points:g}  {item.status:<8} "
                f"{term(item.note)}"
            )
    return "\n".join(lines)


@app.command()
def grade(
    screen: ScreenFile,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the reports.")
    ],
    candidate: CandidateOpt = None,
    submission: Annotated[
        Path | None,
        typer.Option(
            "--submission",
            "-s",
            metavar="DIR",
            help="The candidate's folder: answers.yaml and solutions/<task>.py.",
        ),
    ] = None,
    candidates: Annotated[
        Path | None,
        typer.Option(
            "--candidates",
            metavar="DIR",
            help="Grade every folder in DIR (its name is the candidate id) and write "
            "leaderboard.csv.",
        ),
    ] = None,
    candidate_view: Annotated[
        bool,
        typer.Option(
            "--candidate-view",
            help="Write only the candidate's view (no answer keys, rubrics or judge seeds).",
        ),
    ] = False,
    sandbox: Annotated[
        str | None,
        typer.Option(metavar="auto|process|docker|none", help="Sandbox (default: the screen's)."),
    ] = None,
    device: Annotated[
        str | None, typer.Option(metavar="auto|cpu|cuda", help="Device (default: the screen's).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Files judged at once (default: the screen's)."),
    ] = None,
    allow_weak_sandbox: Annotated[
        bool | None,
        typer.Option(
            "--allow-weak-sandbox/--no-allow-weak-sandbox",
            help="Judge even where the sandbox cannot give full isolation.",
        ),
    ] = None,
    backend: BackendOpt = "local",
    address: AddressOpt = None,
    gpu_share: GpuShareOpt = 1.0,
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            metavar="PATH",
            help="Record every judgement in this SQLite ledger first; grading again with "
            "the same ledger judges only what is missing.",
        ),
    ] = None,
    issued: IssuedOpt = None,
    feedback: Annotated[
        str,
        typer.Option(
            "--feedback",
            metavar="full|receipt",
            help="full: grade and report scores. receipt: say only what was received, "
            "whether it parses and how many answers it gives (no scores, nothing is run): "
            "what a candidate's push gets before the deadline.",
        ),
    ] = "full",
    reissue: Annotated[
        bool,
        typer.Option(
            "--reissue",
            help="Grade issued questions that changed in the bank (or changed scoring "
            "settings) as they are now, and record that; without it such a paper is refused.",
        ),
    ] = False,
) -> None:
    """Grade answers and solution files; write results.json, junit.xml and summary.md
    (or, with --feedback receipt, only receipt.json and receipt.md).

    Each candidate is graded on the paper issued to them (`screen paper`), never on a
    fresh draw. Exit 0 when the screen was passed, 1 when not (or when open answers
    still await review), 2 for a bad screen or submission folder, or a paper that no
    longer matches the bank. The summary (candidate view) is appended to
    $GITHUB_STEP_SUMMARY when it is set."""
    from quizzer.judge.sandbox import NAMES

    if sandbox is not None and sandbox not in NAMES:
        raise UsageError(f"unknown sandbox {sandbox!r}; choose one of: {', '.join(NAMES)}")
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"unknown device {device!r}; choose one of: auto, cpu, cuda")
    if candidates is not None and (candidate or submission):
        raise UsageError("--candidates grades every folder; drop --candidate and --submission")
    if candidates is None and (candidate is None or submission is None):
        raise UsageError("give --candidate ID and --submission DIR, or --candidates DIR")
    if feedback not in ("full", "receipt"):
        raise UsageError(f"--feedback must be full or receipt, not {feedback!r}")
    from quizzer.judge.scale.choice import check_backend

    check_backend(backend, address)
    loaded = _load(screen)
    if feedback == "receipt":
        if candidates is not None:
            raise UsageError("--feedback receipt is for one candidate's push: give --candidate")
        assert candidate is not None and submission is not None
        _receipt(loaded, _need_candidate(candidate), submission, out, issued)
        return
    from quizzer.screen import grader, report
    from quizzer.screen.html import cohort_page
    from quizzer.screen.results import candidate_view as to_candidate

    choice = grader.judge_choice(
        loaded.screen.judge,
        sandbox=sandbox,
        device=device,
        workers=workers,
        allow_weak=allow_weak_sandbox,
        backend=backend,
        address=address,
        ledger=ledger,
        gpu_share=gpu_share,
    )
    papers = grader.Issued(_issued_dir(loaded, issued), reissue)
    if candidates is None:
        assert candidate is not None and submission is not None
        who = _need_candidate(candidate)
        [graded] = grader.grade_candidates(
            loaded, [(who, submission)], choice, strict=True, on_judged=_progress, issued=papers
        )
        assert graded.results is not None
        results = graded.results
        report.write_reports(results, out, candidate_only=candidate_view)
        report.append_step_summary(report.markdown(to_candidate(results)))
        typer.echo(_text(to_candidate(results)))
        where = (
            "" if candidate_view else f" (the candidate's view in {out / report.CANDIDATE_DIR}/)"
        )
        typer.echo(f"wrote {out}/results.json, junit.xml, summary.md{where}")
        if results.status != "pass":
            raise typer.Exit(1)
        return
    folders = grader.candidate_folders(candidates)
    batch = grader.grade_candidates(
        loaded, folders, choice, strict=False, on_judged=_progress, issued=papers
    )
    rows = []
    for g in batch:
        if g.results is not None:
            report.write_reports(g.results, out / g.candidate, candidate_only=candidate_view)
        rows.append((g.candidate, g.results, g.error))
    board = report.leaderboard(rows)
    report.write_text(out / report.LEADERBOARD, board)
    report.write_text(out / report.HTML, cohort_page(loaded.screen.title, rows))
    report.append_step_summary(_board_markdown(rows, loaded.screen.title))
    typer.echo(board.rstrip())
    typer.echo(
        f"wrote {out}/{report.LEADERBOARD}, {out}/{report.HTML} (the cohort) and a report "
        "folder per candidate"
    )
    unreadable = [term(g.candidate) for g in batch if g.error and not g.infrastructure]
    if unreadable:
        bad = ", ".join(unreadable)
        raise UsageError(f"could not grade the folder(s) of: {bad} (see {report.LEADERBOARD})")
    not_judged = [term(g.candidate) for g in batch if g.infrastructure]
    if not_judged:
        bad = ", ".join(not_judged)
        raise grader.NotGraded(
            f"not graded, through no fault of theirs: {bad}: some of their files could "
            "not be judged (see the message in "
            f"{report.LEADERBOARD}); grade again" + (f" with --ledger {ledger}" if ledger else "")
        )
    if not all(g.results is not None and g.results.status == "pass" for g in batch):
        raise typer.Exit(1)


def _receipt(
    loaded: LoadedScreen, candidate: str, submission: Path, out: Path, issued: Path | None
) -> None:
    """Write receipt.json and receipt.md to `out`; exit 1 when something must be fixed."""
    from dataclasses import asdict

    from quizzer.screen import report
    from quizzer.screen.receipt import make_receipt

    made = make_receipt(loaded, candidate, submission, _issued_dir(loaded, issued))
    doc = {"summary": made.text().splitlines()[0], **asdict(made)}
    report.write_text(out / "receipt.json", json.dumps(doc, indent=2) + "\n")
    report.write_text(out / "receipt.md", made.markdown())
    report.append_step_summary(made.markdown())
    typer.echo(made.text())
    if not made.ok:
        raise typer.Exit(1)


def _board_markdown(rows: list[tuple[str, ScreenResults | None, str | None]], title: str) -> str:
    out = [f"## {md_cell(title)}: {len(rows)} candidate(s)", ""]
    out += ["| Candidate | Status | Points | % |", "| --- | --- | --- | --- |"]
    for candidate, results, error in rows:
        name = md_code(candidate, in_table=True)
        if results is None:
            out.append(f"| {name} | error | | {md_cell(error or '')} |")
        else:
            out.append(
                f"| {name} | {results.status} | {results.points:g} / "
                f"{results.max_points:g} | {results.percent:g}% |"
            )
    return "\n".join(out) + "\n"


@app.command()
def review(
    report_dir: Annotated[
        Path,
        typer.Argument(
            metavar="REPORT",
            help="A report folder written by `screen grade`, or its results.json.",
            show_default=False,
        ),
    ],
    item: Annotated[
        str | None,
        typer.Option("--item", "-i", metavar="LABEL", help="The open question, e.g. q7."),
    ] = None,
    points: Annotated[
        float | None, typer.Option("--points", min=0, help="Points to give it.")
    ] = None,
    rubric: Annotated[
        str | None,
        typer.Option(metavar="I,J", help="Rubric points covered (0-based), instead of --points."),
    ] = None,
    reviewer: Annotated[str, typer.Option(help="Who reviewed it (recorded).")] = "reviewer",
    note: Annotated[
        str,
        typer.Option(help="A note for the record; the reason, required to override a grade."),
    ] = "",
    reviews: Annotated[
        Path | None,
        typer.Option(
            "--reviews",
            metavar="FILE",
            help="The candidate's reviews file (default: the one results.json names).",
        ),
    ] = None,
) -> None:
    """List open answers awaiting review, or score one (or override an automatic
    grade, with a reason in --note) and rewrite every report it affects.

    The review is kept in the candidate's reviews file, beside the issued paper, and
    every later `screen grade` applies it again. Exit 0 when the screen is now passed,
    1 when not (or still awaiting review)."""
    from quizzer.screen import report
    from quizzer.screen.results import read_results
    from quizzer.screen.review import make_review, record

    path = report_dir / report.RESULTS if report_dir.is_dir() else report_dir
    results = read_results(path)
    if item is None:
        if points is not None or rubric is not None:
            raise UsageError("say which answer with --item LABEL")
        pending = results.pending()
        if not pending:
            typer.echo(f"{results.candidate}: nothing awaits review; {results.message}")
            return
        for p in pending:
            typer.echo(
                f"{p.label} ({p.max_points:g} points): {json.dumps(p.response, ensure_ascii=False)}"
            )
            for n, line in enumerate(p.rubric or []):
                typer.echo(f"  rubric {n}: {line}")
        typer.echo(f"{results.candidate}: {results.message}")
        return
    ticked = None
    if rubric is not None:
        try:
            ticked = [int(part) for part in rubric.replace(" ", "").split(",") if part]
        except ValueError:
            raise UsageError(f"--rubric takes 0-based numbers like 0,2; got {rubric!r}") from None
    made = make_review(results, item, points=points, rubric=ticked, reviewer=reviewer, note=note)
    review_file = reviews or (Path(results.reviews_file) if results.reviews_file else None)
    if review_file is None:
        raise UsageError(
            f"{path} names no reviews file (it was graded by an older quizzer); give the "
            "candidate's <candidate>.reviews.json with --reviews"
        )
    updated = record(results, item, made, review_file)
    folder = path.parent
    report.write_reports(updated, folder)
    typer.echo(f"{updated.candidate}: {updated.status.upper()}: {updated.message}")
    typer.echo(
        f"kept the review in {review_file}; rewrote {folder}/results.json, junit.xml, "
        "summary.md and candidate/"
    )
    board = folder.parent / report.LEADERBOARD
    if board.is_file():
        from quizzer.screen.html import cohort_page

        rows = report.batch_rows(folder.parent, board)
        report.write_text(board, report.leaderboard(rows))
        report.write_text(folder.parent / report.HTML, cohort_page(updated.screen.title, rows))
        typer.echo(f"rewrote {board} and {folder.parent / report.HTML}")
    if updated.status != "pass":
        raise typer.Exit(1)


def register_exam(root: typer.Typer) -> None:
    @root.command(no_args_is_help=True)
    def exam(
        screen: ScreenFile,
        candidate: CandidateOpt = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", metavar="DIR", help="Folder of the paper (default: paper-ID)."
            ),
        ] = None,
        lang: Annotated[
            str | None, typer.Option("--lang", help="Language of the UI: en or zh.")
        ] = None,
        issued: IssuedOpt = None,
    ) -> None:
        """Take a screen's paper in the practice UI's exam mode; writes answers.yaml.

        The paper (paper.md, solutions/ starters) is written to --out first if it is not
        there; the answers given in the exam replace answers.yaml when it is finished."""
        who = _need_candidate(candidate)
        if lang is not None and lang not in ("en", "zh"):
            raise UsageError(f"--lang must be en or zh, not {lang!r}")
        loaded = _load(screen)
        run_exam(loaded, who, out or Path(f"paper-{who}"), lang, issued=issued)


def run_exam(
    loaded: LoadedScreen,
    candidate: str,
    folder: Path,
    lang: str | None,
    *,
    launch: Callable[[Any], None] | None = None,
    issued: Path | None = None,
) -> Path | None:
    """Open the exam for `candidate` on the paper issued to them (issued now if it was
    not; `launch` runs the app; tests run it headless); return the answers file
    written, if any."""
    from quizzer.screen.answers import (
        FILE_NAME,
        responses_from_exam,
        seconds_from_exam,
        write_answers,
    )
    from quizzer.screen.issued import issue
    from quizzer.screen.paper import question_of, time_limit_s
    from quizzer.screen.paper_files import write_paper

    built, _ = issue(loaded, candidate, _issued_dir(loaded, issued))
    if not (folder / FILE_NAME).exists():
        write_paper(loaded, built, folder)
    if not built.questions():
        typer.echo(f"this paper has no questions to answer on screen; the tasks are in {folder}/")
        return None
    from quizzer.store import open_store
    from quizzer.tui.app import make_app
    from quizzer.tui.exam import ExamPlan

    plan = ExamPlan(
        f"{built.title} ({candidate})",
        tuple(item.question_id for item in built.questions()),
        time_limit_s(built) or 3600,
        reveal=False,
        locked=True,
        resume_key=f"screen-exam:{loaded.sha256}:{candidate}",
    )
    with open_store() as store:
        key = plan.resume_key or ""
        if (store.get_setting(key) or {}).get("finished"):
            typer.echo(
                f"{candidate} has finished this exam already; the answers are in "
                f"{folder / FILE_NAME}"
            )
            return None
        before = {row["uid"] for row in store.exams()}
        ui = make_app(
            loaded.bank,
            store,
            lang=lang,
            exam=plan,
            exam_export_dir=folder,
            submissions_dir=folder / "solutions",
        )
        (launch or (lambda a: a.run()))(ui)
        new = [row for row in store.exams() if row["uid"] not in before]
    if not new:
        typer.echo(f"the exam was not finished; {folder / FILE_NAME} is unchanged")
        return None
    given = json.loads(new[-1]["answers"])
    responses = responses_from_exam(built, given)
    questions = {item.label: question_of(loaded, item) for item in built.questions()}
    path = write_answers(
        folder / FILE_NAME, built, questions, responses, seconds_from_exam(built, given)
    )
    typer.echo(
        f"wrote {len(responses)} answer(s) to {path}; coding tasks are in {folder}/solutions/"
    )
    return path

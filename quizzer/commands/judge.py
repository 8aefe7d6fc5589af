"""`quizzer judge FILE... --task ID`: judge solution files against a coding task.

Registered by `quizzer.cli` as a single command. Prints a readable report (or the
result document with `--json`, or a stream of JSON lines with `--events` for the
practice UI), can also write JUnit XML and a Markdown summary, and exits 0 when every
file passed, 1 when any did not. Bad usage raises `UsageError` (exit 2 in the CLI).
torch is imported only once a file is actually judged.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quizzer.bank.models import Coding
from quizzer.bank.problems import suggest
from quizzer.errors import UsageError

if TYPE_CHECKING:
    from quizzer.bank.loader import Bank
    from quizzer.judge.result import CheckResult, JudgeResult


def find_task(bank: Bank, task_id: str) -> Coding:
    """The coding task `task_id`; a usage error that suggests a close id otherwise."""
    tasks = {t.id: t for t in bank.tasks()}
    if task_id in tasks:
        return tasks[task_id]
    known = ", ".join(sorted(tasks)) or "none"
    if task_id in bank:
        raise UsageError(f"'{task_id}' is a {bank.get(task_id).type} question, not a coding task; coding tasks: {known}")
    hint = suggest(task_id, tasks)
    more = f"did you mean '{hint}'? " if hint else ""
    raise UsageError(f"unknown task '{task_id}'; {more}coding tasks: {known}")


def _emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def judge(
    files: Annotated[
        list[Path],
        typer.Argument(help="Solution files to judge (each defines the task's class).", show_default=False),
    ],
    task: Annotated[
        str, typer.Option("--task", "-t", metavar="ID", help="Coding task id, e.g. simple-nn.")
    ],
    device: Annotated[
        str,
        typer.Option(
            "--device",
            metavar="auto|cpu|cuda",
            help="Where the checks run; auto picks CUDA when it is available.",
        ),
    ] = "auto",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the result document (a list for several files).")
    ] = False,
    events: Annotated[
        bool,
        typer.Option(
            "--events",
            help="Print JSON lines: start, one per finished check, the result document, a summary.",
        ),
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", metavar="PATH", help="Also write JUnit XML here.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", metavar="PATH", help="Also write a Markdown summary here."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, max=2**31 - 1, help="Seed the judge's inputs (default: random, reported)."),
    ] = None,
    bank: Annotated[
        list[Path] | None,
        typer.Option("--bank", metavar="DIR", help="Add a bank folder that holds the task (repeatable)."),
    ] = None,
) -> None:
    """Judge solution files against a coding task, in a sandboxed worker."""
    if json_out and events:
        raise UsageError("--json and --events both print to stdout; choose one")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    from quizzer.bank.loader import load_bank

    coding = find_task(load_bank(list(bank) if bank else None), task)
    results = judge_paths(files, coding, device=device, seed=seed, events=events)
    from quizzer.judge import report

    if junit:
        _write(junit, report.junit(results))
    if markdown:
        _write(markdown, report.markdown(results))
    if json_out:
        docs = [r.model_dump(mode="json") for r in results]
        typer.echo(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False))
    elif events:
        passed = sum(r.passed for r in results)
        _emit({"event": "summary", "total": len(results), "passed": passed})
    else:
        typer.echo("\n\n".join(report.text(r) for r in results))
        if len(results) > 1:
            passed = sum(r.passed for r in results)
            typer.echo(f"\n{passed} of {len(results)} files passed")
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def judge_paths(
    files: Sequence[Path], coding: Coding, *, device: str, seed: int | None, events: bool
) -> list[JudgeResult]:
    from quizzer.judge.device import resolve_device
    from quizzer.judge.report import LABEL
    from quizzer.judge.runner import Options, judge_file, open_sandbox

    resolve_device(device)  # a bad --device is a usage error before any work
    options = Options(device=device, seed=seed)
    sandbox = open_sandbox()
    results: list[JudgeResult] = []
    try:
        for index, path in enumerate(files, 1):
            if events:
                _emit({"event": "start", "file": str(path), "index": index, "total": len(files)})

            def on_check(check: CheckResult, path: Path = path) -> None:
                if events:
                    _emit({"event": "check", "file": str(path), "check": check.model_dump(mode="json")})

            result = judge_file(path, coding, sandbox, options, on_check)
            results.append(result)
            if events:
                _emit(result.model_dump(mode="json"))
            elif len(files) > 1:
                typer.echo(
                    f"[{index}/{len(files)}] {path}: {LABEL[result.status]} ({result.timings.total_s:.1f} s)",
                    err=True,
                )
    finally:
        sandbox.close()
    return results


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def register(app: typer.Typer) -> None:
    app.command(name="judge", no_args_is_help=True)(judge)

"""`quizzer judge FILE... --task ID`: judge solution files against a coding task.

Registered by `quizzer.cli` as a single command. Prints a readable report (or the
result document with `--json`, or a stream of JSON lines with `--events` for the
practice UI), can also write JUnit XML and a Markdown summary, and exits 0 when every
file passed, 1 when any did not. Bad usage raises `UsageError` (exit 2 in the CLI).
torch is imported only once a file is actually judged.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quizzer.bank.problems import suggest
from quizzer.commands.scale_options import AddressOpt, BackendOpt, GpuShareOpt
from quizzer.errors import UsageError
from quizzer.escaping import no_surrogates, term

#: The exit status when a file could not be judged because the sandbox failed.
INFRASTRUCTURE = 3

if TYPE_CHECKING:
    from quizzer.bank.loader import Bank
    from quizzer.bank.models import Coding
    from quizzer.judge.result import CheckResult, JudgeResult
    from quizzer.judge.sandbox.base import Sandbox


def find_task(bank: Bank, task_id: str) -> Coding:
    """The coding task `task_id`; a usage error that suggests a close id otherwise."""
    tasks = {t.id: t for t in bank.tasks()}
    if task_id in tasks:
        return tasks[task_id]
    known = ", ".join(sorted(tasks)) or "none"
    if task_id in bank:
        kind = bank.get(task_id).type
        raise UsageError(
            f"'{task_id}' is a {kind} question, not a coding task; coding tasks: {known}"
        )
    hint = suggest(task_id, tasks)
    more = f"did you mean '{hint}'? " if hint else ""
    raise UsageError(f"unknown task '{task_id}'; {more}coding tasks: {known}")


def emit_event(event: dict) -> None:
    """One JSON line of `--events` on stdout."""
    # The judge cleans what it reads; this keeps one odd string from stopping the stream.
    sys.stdout.write(no_surrogates(json.dumps(event, ensure_ascii=False)) + "\n")
    sys.stdout.flush()


def judge(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Solution files to judge (each defines the task's class).", show_default=False
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option("--task", "-t", metavar="ID", help="Coding task id, e.g. simple-nn."),
    ] = None,
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
        typer.Option(
            "--seed",
            min=0,
            max=2**31 - 1,
            help="Seed the judge's inputs (default: random, reported).",
        ),
    ] = None,
    bank: Annotated[
        list[Path] | None,
        typer.Option(
            "--bank", metavar="DIR", help="Add a bank folder that holds the task (repeatable)."
        ),
    ] = None,
    sandbox: Annotated[
        str,
        typer.Option(
            "--sandbox",
            metavar="auto|process|docker|none",
            help="Where submissions run: auto = the process sandbox (bubblewrap) where it gives "
            "full isolation, else Docker; none = no isolation (trusted code only).",
        ),
    ] = "auto",
    allow_weak_sandbox: Annotated[
        bool,
        typer.Option(
            "--allow-weak-sandbox",
            help="Run untrusted code even where the sandbox lacks protections "
            "(see `quizzer sandbox doctor`).",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option("--workers", "-w", min=1, max=64, help="Judge this many files in parallel."),
    ] = 1,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--limit",
            metavar="NAME=VALUE",
            help="Change a sandbox limit of the task (repeatable): wall=S, cpu=S, memory=MB, "
            "processes=N, output=KiB, file_size=MB.",
        ),
    ] = None,
    no_server: Annotated[
        bool,
        typer.Option(
            "--no-server",
            help="Judge in this process even when a judge service runs (`quizzer server`).",
        ),
    ] = False,
    backend: BackendOpt = "local",
    address: AddressOpt = None,
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            metavar="PATH",
            help="Record every submission in this SQLite ledger before it is judged, so "
            "that a batch whose driver died can be finished with --resume.",
        ),
    ] = None,
    gpu_share: GpuShareOpt = 1.0,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="LEDGER",
            help="Finish the batch a ledger holds (judging only what has no result) and "
            "report all of it; give no files and no --task.",
        ),
    ] = None,
) -> None:
    """Judge solution files against a coding task, in a sandboxed worker.

    Through the resident judge service when one runs (`quizzer server start`): the
    same checks and result, without importing torch here."""
    if json_out and events:
        raise UsageError("--json and --events both print to stdout; choose one")
    from quizzer.judge.files import refusal
    from quizzer.judge.scale.choice import check_backend

    check_backend(backend, address)  # an address without --backend ray is not ignored

    files = list(files or [])
    refused = [why for why in map(refusal, files) if why]
    if refused:
        raise UsageError("; ".join(refused))
    scaled = backend != "local" or ledger is not None or resume is not None
    if not scaled and (not files or task is None):
        raise UsageError("give the files to judge and --task ID (or --resume LEDGER)")
    remote = None
    if scaled:
        from quizzer.commands.judge_batch import BatchOptions, judge_batch
        from quizzer.judge.sandbox.limits import parse_overrides

        options = BatchOptions(
            backend=backend,
            address=address,
            ledger=ledger,
            resume=resume,
            sandbox=sandbox,
            allow_weak=allow_weak_sandbox,
            device=device,
            seed=seed,
            workers=workers if workers > 1 or backend == "local" else None,
            limits=parse_overrides(limit or []),
            banks=list(bank or []),
            events=events,
            gpu_share=gpu_share,
        )
        remote = judge_batch(files, task, options)
    elif not no_server:
        from quizzer.judge import client

        if client.health() is not None:
            request = {
                "files": [str(Path(f).resolve()) for f in files],
                "task": task,
                "banks": [str(Path(b).resolve()) for b in bank or []],
                "bank_env": os.environ.get("QUIZZER_BANK"),
                "device": device,
                "seed": seed,
                "sandbox": sandbox,
                "allow_weak": allow_weak_sandbox,
                "workers": workers,
                "limits": list(limit or []),
            }
            remote = judge_remote(request, events=events, total=len(files))
    if remote is not None:
        results = remote
    else:
        # started before the bank's models are imported (the limits are checked with
        # them) and before torch is: the warm parent's start-up is the cold call's
        # critical path
        box, _ = warm_sandbox(sandbox, device, allow_weak_sandbox, workers)
        try:
            from quizzer.bank.loader import load_bank
            from quizzer.judge.sandbox.limits import parse_overrides, with_limits

            overrides = parse_overrides(limit or [])
            assert task is not None
            found = find_task(load_bank(list(bank) if bank else None), task)
            coding = with_limits(found, overrides)
        except BaseException:
            box.close()
            raise
        results = judge_paths(
            files,
            coding,
            device=device,
            seed=seed,
            events=events,
            sandbox=sandbox,
            allow_weak=allow_weak_sandbox,
            workers=workers,
            box=box,
        )
    from quizzer.judge import report

    if junit:
        _write(junit, report.junit(results))
    if markdown:
        _write(markdown, report.markdown(results))
    if json_out:
        docs = [r.model_dump(mode="json") for r in results]
        text = json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False)
        typer.echo(no_surrogates(text))
    elif events:
        passed = sum(r.passed for r in results)
        emit_event({"event": "summary", "total": len(results), "passed": passed})
    else:
        typer.echo("\n\n".join(report.text(r) for r in results))
        if len(results) > 1:
            passed = sum(r.passed for r in results)
            typer.echo(f"\n{passed} of {len(results)} files passed")
    if any(r.infrastructure for r in results):
        raise typer.Exit(INFRASTRUCTURE)  # not a verdict: CI should run it again
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def judge_remote(request: dict, *, events: bool, total: int) -> list[JudgeResult]:
    """Judge through the service: its events are printed as the in-process path
    prints them, and its result documents are the results."""
    from quizzer.judge.client import ServiceError, judge_events
    from quizzer.judge.report import LABEL
    from quizzer.judge.result import JudgeResult

    docs: list[dict] = []
    #: Each file's place on the command line, from its `start` event: results come
    #: back as they finish, and are reported in the order the files were given.
    order: dict[str, int] = {}
    try:
        for event in judge_events(request):
            kind = event.get("event")
            if kind == "error":
                raise ServiceError(str(event.get("message")))
            if kind == "start" and isinstance(event.get("index"), int):
                order.setdefault(str(event.get("file")), event["index"])
            if kind in ("end", "summary"):
                continue
            is_result = kind is None and isinstance(event.get("checks"), list)
            if events:
                emit_event(event)
            if is_result:
                docs.append(event)
                if not events and total > 1:
                    typer.echo(
                        f"[{len(docs)}/{total}] {term(str(event.get('submission')))}: "
                        f"{LABEL[JudgeResult.model_validate(event).status]}",
                        err=True,
                    )
    except ServiceError as exc:
        if exc.usage:
            raise UsageError(str(exc)) from None
        typer.echo(f"error: {exc}; judge without it with --no-server", err=True)
        raise typer.Exit(INFRASTRUCTURE) from None
    results = [JudgeResult.model_validate(d) for d in docs]
    return sorted(results, key=lambda r: order.get(r.submission, total + 1))


def judge_paths(
    files: Sequence[Path],
    coding: Coding,
    *,
    device: str,
    seed: int | None,
    events: bool,
    sandbox: str = "auto",
    allow_weak: bool = False,
    workers: int = 1,
    box: Sandbox | None = None,
) -> list[JudgeResult]:
    """Judge `files` in-process, on `box` (a sandbox `warm_sandbox` is starting) or on
    one opened here; the sandbox is closed at the end."""
    from quizzer.judge.files import shown
    from quizzer.judge.report import LABEL

    if box is None:
        box, _ = warm_sandbox(sandbox, device, allow_weak, workers)
    from quizzer.judge.runner import Options
    from quizzer.judge.sandbox.pool import judge_many

    options = Options(device=device, seed=seed)
    total = len(files)
    bar = None
    if not events and total > 1 and sys.stderr.isatty():
        bar = typer.progressbar(length=total, label="judging", file=sys.stderr, show_pos=True)
        bar.__enter__()

    def on_start(index: int, path: Path) -> None:
        if events:
            emit_event({"event": "start", "file": shown(path), "index": index + 1, "total": total})

    def on_check(path: Path, check: CheckResult) -> None:
        if events:
            emit_event(
                {"event": "check", "file": shown(path), "check": check.model_dump(mode="json")}
            )

    done = 0

    def on_done(index: int, path: Path, result: JudgeResult) -> None:
        nonlocal done
        done += 1
        if events:
            emit_event(result.model_dump(mode="json"))
        elif bar is not None:
            bar.update(1)
        elif total > 1:
            typer.echo(
                f"[{done}/{total}] {term(shown(path))}: {LABEL[result.status]} "
                f"({result.timings.total_s:.1f} s)",
                err=True,
            )

    try:
        return judge_many(
            files,
            coding,
            box,
            options,
            workers=workers,
            on_start=on_start,
            on_check=on_check,
            on_done=on_done,
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        box.close()


def warm_sandbox(sandbox: str, device: str, allow_weak: bool, workers: int) -> tuple[Sandbox, str]:
    """The sandbox, with its warm parent already starting in the background, and the
    device it runs on. Called before this process imports torch (the bank, the
    runner): the warm parent imports torch at the same time, so a cold call pays for
    one torch import on its critical path, not two."""
    import threading

    from quizzer.judge import sandbox as sandboxes
    from quizzer.judge.device import resolve_device

    used = resolve_device(device)  # a bad --device is a usage error before any work
    box = sandboxes.open_sandbox(sandbox, allow_weak=allow_weak, device=used, workers=workers)
    starter = getattr(box, "start", None)
    if callable(starter):
        threading.Thread(target=_quietly(starter), name="warm-start", daemon=True).start()
    return box, used


def _quietly(start: Callable[[], object]) -> Callable[[], None]:
    """`start`, with any failure left for the first run to report in its own words."""

    def run() -> None:
        try:
            start()
        except Exception:  # the first run starts it again and says why
            return

    return run


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def register(app: typer.Typer) -> None:
    app.command(name="judge", no_args_is_help=True)(judge)

"""`quizzer progress ...`: export, import and reset the practice progress (answers,
review schedule, bookmarks, settings) kept in the SQLite store.

Registered by `quizzer.cli`; raises `ProgressError` (a `UsageError`, exit 2) for a
bad file or a refused reset. A damaged database is rebuilt when it is opened (the
damaged file is kept aside), and each command says so on stderr before it goes on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from quizzer.store import Store, open_store
from quizzer.store.db import ProgressError, utcnow

app = typer.Typer(
    help="Export, import or reset your practice progress (answers, reviews, settings).",
    no_args_is_help=True,
)


def _open() -> Store:
    """The user's store; what was done about a damaged database goes to stderr (stdout
    may be the export)."""
    store = open_store()
    if store.recovery is not None:
        typer.secho(f"warning: {store.recovery.message}", fg=typer.colors.YELLOW, err=True)
    return store


@app.command()
def path() -> None:
    """Print where the progress database is (set QUIZZER_DATA_DIR to move it)."""
    from quizzer.store.paths import default_db_path

    typer.echo(str(default_db_path()))


@app.command("export")
def export_cmd(
    file: Annotated[
        str, typer.Argument(help="Where to write the JSON; '-' (the default) is stdout.")
    ] = "-",
) -> None:
    """Write all progress as one JSON document (for another machine or a backup)."""
    from quizzer.store.transfer import export_progress

    with _open() as store:
        text = json.dumps(export_progress(store), indent=2, ensure_ascii=False) + "\n"
    if file == "-":
        sys.stdout.write(text)
        return
    target = Path(file)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ProgressError(f"{target}: cannot write it ({exc.strerror})") from exc
    typer.echo(f"exported progress to {target}", err=True)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A JSON file written by `quizzer progress export`.")],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace all local progress instead of merging into it."),
    ] = False,
) -> None:
    """Merge an exported progress file into this machine's progress (or --replace it).

    The whole file is validated first; nothing is written when any part is invalid.
    Importing the same file twice adds nothing the second time."""
    from quizzer.store.transfer import import_progress, read_document

    doc = read_document(file)
    with _open() as store:
        added = import_progress(store, doc, replace=replace)
    summary = ", ".join(f"{n} {kind}" for kind, n in added.items() if n)
    typer.echo(f"imported {file}: {summary or 'nothing new'}")


@app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget all progress. A JSON backup is written next to the database first.

    A damaged database is kept aside first, and what could be read from it goes into
    the JSON backup."""
    from quizzer.store.transfer import export_progress

    with _open() as store:
        if not yes:
            if not sys.stdin.isatty():
                raise ProgressError(
                    "reset deletes all progress; pass --yes to confirm when not at a terminal"
                )
            typer.confirm("Delete all practice progress?", abort=True)
        assert store.path is not None
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        backup = store.path.with_name(f"progress-backup-{stamp}.json")
        backup.write_text(json.dumps(export_progress(store), ensure_ascii=False), "utf-8")
        store.reset()
    typer.echo(f"progress reset; a backup is in {backup}")

"""`quizzer practice` (also the default with no arguments): opens the practice UI.

Registered by `quizzer.cli`. Loading the bank and opening the progress store happen
before the screen opens, so a bad bank or a bad store is one clear error line (exit
2), not a broken screen. The UI itself lives in `quizzer.tui`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quizzer.errors import UsageError

LANG_CHOICES = ("en", "zh")


def open_ui(bank_dirs: list[Path] | None = None, lang: str | None = None) -> None:
    if lang is not None and lang not in LANG_CHOICES:
        raise UsageError(f"--lang must be one of {', '.join(LANG_CHOICES)}, not '{lang}'")
    from quizzer.tui.app import run_app

    run_app(bank_dirs=bank_dirs, lang=lang)


def register(app: typer.Typer) -> None:
    @app.callback(invoke_without_command=True)
    def _default(ctx: typer.Context) -> None:
        """Practise PyTorch interview questions; with no command, opens the practice UI."""
        if ctx.invoked_subcommand is None:
            open_ui()

    @app.command()
    def practice(
        bank: Annotated[
            list[Path] | None,
            typer.Option(
                "--bank",
                metavar="DIR",
                help="Another bank folder to practise on (repeatable); QUIZZER_BANK "
                "replaces the bundled bank.",
            ),
        ] = None,
        lang: Annotated[
            str | None,
            typer.Option(
                "--lang",
                metavar="en|zh",
                help="Language of the UI and the questions (default: the last one used; "
                "switch at run time with l).",
            ),
        ] = None,
    ) -> None:
        """Open the practice UI on the bundled bank (and any --bank / QUIZZER_BANK banks).

        Progress is kept in the user data directory (QUIZZER_DATA_DIR overrides it)."""
        open_ui(bank or None, lang)

"""`quizzer practice` (also the default with no arguments): opens the practice UI,
or with --web serves it to a browser.

Registered by `quizzer.cli`. Loading the bank and opening the progress store happen
before the screen opens, so a bad bank or a bad store is one clear error line (exit
2), not a broken screen. The UI itself lives in `quizzer.tui` (the web server in
`quizzer.tui.web`).
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


def serve_ui(
    bank_dirs: list[Path] | None = None,
    lang: str | None = None,
    host: str | None = None,
    port: int | None = None,
) -> None:
    if lang is not None and lang not in LANG_CHOICES:
        raise UsageError(f"--lang must be one of {', '.join(LANG_CHOICES)}, not '{lang}'")
    from quizzer.tui import web

    host = host or web.DEFAULT_HOST
    if not web.is_local(host):
        typer.secho(
            f"warning: serving on {host}, not only this machine: anyone who can reach "
            "this address uses the practice UI as you (there is no password or login). "
            "Use it only on a network you trust.",
            fg=typer.colors.YELLOW,
            err=True,
        )
    web.serve(
        bank_dirs=bank_dirs,
        lang=lang,
        host=host,
        port=web.DEFAULT_PORT if port is None else port,
        announce=typer.echo,
    )


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
        web: Annotated[
            bool,
            typer.Option(
                "--web",
                help="Serve the practice UI to a browser instead (textual-serve); one app "
                "per browser tab, progress in the same store.",
            ),
        ] = False,
        host: Annotated[
            str | None,
            typer.Option(
                "--host",
                metavar="ADDR",
                help="With --web: the address to listen on (default 127.0.0.1, this "
                "machine only). Any other address lets anyone who reaches it use the "
                "app: there is no login.",
            ),
        ] = None,
        port: Annotated[
            int | None,
            typer.Option("--port", metavar="N", help="With --web: the port (default 8000)."),
        ] = None,
    ) -> None:
        """Open the practice UI on the bundled bank (and any --bank / QUIZZER_BANK banks).

        Progress is kept in the user data directory (QUIZZER_DATA_DIR overrides it).
        --web serves the same UI at http://127.0.0.1:8000 for a browser."""
        if web:
            serve_ui(bank or None, lang, host, port)
            return
        if host is not None or port is not None:
            raise UsageError("--host and --port go with --web")
        open_ui(bank or None, lang)

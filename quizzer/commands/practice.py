"""`quizzer practice` (also the default with no arguments): opens the practice UI."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.callback(invoke_without_command=True)
    def _default(ctx: typer.Context) -> None:
        """Practise PyTorch interview questions; with no command, opens the practice UI."""
        if ctx.invoked_subcommand is None:
            practice()

    @app.command()
    def practice() -> None:
        """Open the practice UI on the bundled bank (and any --bank / QUIZZER_BANK banks)."""
        from quizzer.tui.app import run_app

        run_app()

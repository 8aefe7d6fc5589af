"""`quizzer bank ...`: validate, list, show, scaffold and verify questions."""

from __future__ import annotations

import typer

app = typer.Typer(help="Validate, list, show, scaffold and verify bank questions.", no_args_is_help=True)

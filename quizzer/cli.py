"""The `quizzer` command line: builds the Typer app from the command modules and is
the only place that turns a `QuizzerError` into stderr text and an exit code.

Exit codes: 0 ok / passed, 1 the graded thing did not pass, 2 bad usage or bad input,
3 the judge could not judge (the sandbox failed to start, twice: the machine's
problem, so CI should run it again), anything else an internal error. Command modules
live in `quizzer.commands` and raise; they never call `sys.exit` themselves (except
through `typer.Exit` with 0, 1 or 3).
"""

from __future__ import annotations

import sys

import typer

from quizzer.commands import bank as bank_commands
from quizzer.commands import judge as judge_commands
from quizzer.commands import practice as practice_commands
from quizzer.commands import progress as progress_commands
from quizzer.commands import sandbox as sandbox_commands
from quizzer.commands import screen as screen_commands
from quizzer.errors import QuizzerError

app = typer.Typer(
    name="quizzer",
    help="Practise PyTorch interview questions, judge solution files in a sandbox, "
    "and screen candidates in CI.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(bank_commands.app, name="bank")
judge_commands.register(app)
app.add_typer(sandbox_commands.app, name="sandbox")
app.add_typer(progress_commands.app, name="progress")
practice_commands.register(app)
app.add_typer(screen_commands.app, name="screen")
screen_commands.register_exam(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Click handles usage errors itself (exit 2); quizzer errors become
    one line on stderr and their exit code."""
    try:
        app(args=argv, prog_name="quizzer", standalone_mode=True)
    except QuizzerError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(exc.exit_code)

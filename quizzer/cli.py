"""The `quizzer` command line: builds the Typer app from the command modules and is
the only place that turns a `QuizzerError` into stderr text and an exit code.

Exit codes: 0 ok / passed, 1 the graded thing did not pass, 2 bad usage or bad input,
3 the judge could not judge (the sandbox failed to start, twice: the machine's
problem, so CI should run it again), anything else an internal error. Command modules
live in `quizzer.commands` and raise; they never call `sys.exit` themselves (except
through `typer.Exit` with 0, 1 or 3).
"""

from __future__ import annotations

import atexit
import os
import sys

import typer

from quizzer.errors import QuizzerError

#: Each command group's module and how it joins the app. Only the modules a command
#: line needs are imported, so that `quizzer judge` through the judge service starts
#: in a fraction of the time the whole CLI (the bank's models among it) would take.
_COMMANDS: dict[str, tuple[str, str]] = {
    "bank": ("quizzer.commands.bank", "typer"),
    "judge": ("quizzer.commands.judge", "register"),
    "server": ("quizzer.commands.server", "typer"),
    "sandbox": ("quizzer.commands.sandbox", "typer"),
    "progress": ("quizzer.commands.progress", "typer"),
    "screen": ("quizzer.commands.screen", "typer"),
    "exam": ("quizzer.commands.screen", "register_exam"),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or with only the command `only` (plus the
    bare `quizzer` that opens the practice UI)."""
    import importlib

    from quizzer.commands import practice as practice_commands

    built = typer.Typer(
        name="quizzer",
        help="Practise PyTorch interview questions, judge solution files in a sandbox, "
        "and screen candidates in CI.",
        no_args_is_help=False,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    practice_commands.register(built)
    for name, (module_name, how) in _COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        if how == "typer":
            built.add_typer(module.app, name=name)
        else:
            getattr(module, how)(built)
    return built


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole app, built on first use (the tests read it)
        return build_app()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Click handles usage errors itself (exit 2); quizzer errors become
    one line on stderr and their exit code."""
    args = sys.argv[1:] if argv is None else argv
    first = args[0] if args else None
    try:
        build_app(first if first in _COMMANDS else None)(
            args=argv, prog_name="quizzer", standalone_mode=True
        )
    except QuizzerError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(exc.exit_code)


def run() -> None:
    """The console script and `python -m quizzer`: `main`, then, where this process
    imported torch (a command that judged or verified here), an exit without Python's
    teardown of it, which took 0.3-0.9 s on this project's 2-core machine
    (`python -c "import torch"` against the same with `os._exit(0)`), time the user
    waits for nothing. What must happen at exit still does: the atexit handlers (open
    sandboxes closed, temporary files removed) run first, and the output is flushed."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    if "torch" not in sys.modules:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: the reader is gone
            code = code or 1
    os._exit(code)


def _exit_code(value: object) -> int:
    """The status `sys.exit(value)` would give (a message is printed, as Python does)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1

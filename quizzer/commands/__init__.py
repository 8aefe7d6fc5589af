"""Typer sub-commands, one module per command group. They raise `QuizzerError`s and
leave the exit codes to `quizzer.cli`."""

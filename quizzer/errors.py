"""The one error hierarchy of quizzer.

Every module raises a subclass of `QuizzerError` for problems a user can fix (bad
input, bad usage, a missing machine feature). `quizzer.cli` alone turns them into a
message on stderr and an exit code; nothing else prints them or exits.
"""

from __future__ import annotations


class QuizzerError(Exception):
    """A problem the user can act on. `msg` says what and how to fix it."""

    exit_code = 2

    def __init__(self, msg: str, title: str = "") -> None:
        super().__init__(msg)
        self.msg = msg
        self.title = title

    def __str__(self) -> str:
        return f"{self.title}: {self.msg}" if self.title else self.msg


class UsageError(QuizzerError):
    """Bad command-line usage: unknown task, missing file, conflicting options."""


class BankError(QuizzerError):
    """The question bank (or a screen definition) is invalid or cannot be read."""


class JudgeError(QuizzerError):
    """The judge cannot judge: bad task spec, device not available, bad options."""


class SandboxError(QuizzerError):
    """The sandbox cannot give the isolation asked for on this machine."""

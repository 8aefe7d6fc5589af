"""Reading a submission file from the host without being tricked by it.

Called by `quizzer judge` (to refuse bad paths with exit 2 before any work), by
`quizzer.judge.runner.judge_file` (the read itself) and by the screen's grader (the
same words). The judge runs with the rights of whoever starts it, often more than the
candidate has: a symbolic link would hand it any file it can read (a root-only file,
a task's reference solution) and put that file into the report as the submission. So
links are refused, and the read uses O_NOFOLLOW so that a link swapped in after the
check is refused too. No torch.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from quizzer.errors import UsageError
from quizzer.escaping import term

#: Shared with `quizzer screen grade`, which refuses linked solution files the same way.
LINK_NOTE = "a symbolic link is not judged; submit a regular file"


def shown(path: Path | str) -> str:
    """`path` as text any output can hold: bytes that are not UTF-8 as `\\xNN`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def refusal(path: Path) -> str | None:
    """Why `path` cannot be judged (a link, missing, not a regular file), or None."""
    name = term(shown(path))
    if path.is_symlink():
        return f"{name}: {LINK_NOTE}"
    if not path.exists():
        return f"no such file: {name}"
    if path.is_dir():
        return f"{name} is a folder; pass the .py files in it"
    if not path.is_file():
        return f"{name} is not a regular file"
    return None


def read_submission(path: Path) -> bytes:
    """The bytes of the regular file at `path`, never through a link: a UsageError
    (exit 2) naming the file otherwise."""
    name = term(shown(path))
    # O_NONBLOCK: opening a FIFO must not hang the judge; it is refused below.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UsageError(f"{name}: {LINK_NOTE}") from None
        if exc.errno == errno.ENOENT:
            raise UsageError(f"{name}: no such file") from None
        raise UsageError(f"{name}: cannot read it ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(f"{name} is a folder; pass the .py files in it")
        if not stat.S_ISREG(mode):
            raise UsageError(f"{name} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"{name}: cannot read it ({exc.strerror})") from None
    finally:
        os.close(fd)

"""Where the learner's solution files live, and the command that judges one.

The folder is `$QUIZZER_SUBMISSIONS` when set, else `submissions/` in quizzer's user
data directory, beside the progress database (`quizzer.store.paths.data_dir`, which
`$QUIZZER_DATA_DIR` moves): the same files whichever folder the app is started from.
Each task has one file, its id with underscores: `simple-nn` -> `simple_nn.py`.

A bundled starter's docstring names the command that judges it, written for that
layout: `quizzer judge submissions/simple_nn.py --task simple-nn`. `personalised`
puts the file's real path in its place when the coding screen writes the starter.

Called by `quizzer.tui.app` (the default folder) and the coding screen. No textual.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from quizzer.store.paths import data_dir

SUBMISSIONS_ENV = "QUIZZER_SUBMISSIONS"
#: The folder's name in the data directory, and in the starters' judge commands.
FOLDER = "submissions"


def submissions_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder that holds the solution files (not created here), absolute: a
    relative `$QUIZZER_SUBMISSIONS` is taken from where quizzer starts."""
    env = os.environ if env is None else env
    override = env.get(SUBMISSIONS_ENV, "").strip()
    folder = Path(override).expanduser() if override else data_dir(env) / FOLDER
    return folder.absolute()


def file_name(task_id: str) -> str:
    return f"{task_id.replace('-', '_')}.py"


def submission_path(folder: Path, task_id: str) -> Path:
    """The file that holds the solution of `task_id` in `folder`."""
    return folder / file_name(task_id)


def judge_command(path: Path | str, task_id: str) -> str:
    """The shell command that judges the file at `path` against `task_id`."""
    return f"quizzer judge {shlex.quote(str(path))} --task {task_id}"


def starter_command(task_id: str) -> str:
    """The command a bundled starter's docstring names (see the module's docstring)."""
    return judge_command(f"{FOLDER}/{file_name(task_id)}", task_id)


def personalised(starter: str, path: Path, task_id: str) -> str:
    """`starter` with its judge command naming `path`, the file it is written to (a
    starter that names no command, as a bank of one's own may hold, is kept as is)."""
    return starter.replace(starter_command(task_id), judge_command(path, task_id))


def shown(path: Path) -> str:
    """`path` in full, with the home folder written `~`: what the screen shows."""
    path = path.absolute()
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no $HOME and no password entry
        return str(path)
    if path != home and path.is_relative_to(home):
        return str(Path("~") / path.relative_to(home))
    return str(path)

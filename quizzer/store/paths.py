"""Where the progress database lives: `$QUIZZER_DATA_DIR` when set (tests and
portable set-ups use it), else the platform's user data directory (platformdirs).

Called by `quizzer.store.db.open_store` and by `quizzer progress`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DATA_DIR_ENV = "QUIZZER_DATA_DIR"
DB_NAME = "progress.sqlite3"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory that holds quizzer's progress (not created here)."""
    env = os.environ if env is None else env
    override = env.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("quizzer", appauthor=False))


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    return data_dir(env) / DB_NAME

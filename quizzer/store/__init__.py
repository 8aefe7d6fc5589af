"""The progress store: what a learner has answered, their review schedule and their
settings, kept in SQLite in the user's data directory.

The practice UI (`quizzer.tui`) and `quizzer progress ...` (`quizzer.commands.progress`)
use it. It imports neither textual nor torch.
"""

from __future__ import annotations

from quizzer.store.db import ProgressError, Store, open_store
from quizzer.store.paths import DATA_DIR_ENV, data_dir, default_db_path

__all__ = ["DATA_DIR_ENV", "ProgressError", "Store", "data_dir", "default_db_path", "open_store"]

"""`Host`: what a screen may ask of the app that shows it, as a protocol. Screens
know this and not `quizzer.tui.app`, so the app (which opens every screen) and the
screens do not depend on each other: a screen can be read, type-checked and tested
with any app that provides these. `quizzer.tui.app.QuizzerApp` is the one that does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from quizzer.bank.loader import Bank
    from quizzer.bank.models import Coding
    from quizzer.store import Store
    from quizzer.tui.exam import ExamPlan
    from quizzer.tui.session import Filters, Session
    from quizzer.tui.study import StudySettings


class Host(Protocol):
    """The app's data, clock, settings and navigation, as screens use them."""

    bank: Bank
    store: Store
    filters: Filters
    study: StudySettings
    lang: str
    tz: tzinfo | None
    now: Callable[[], datetime]
    timer: Callable[[], float]
    submissions_dir: Path
    exam_export_dir: Path
    watch_interval: float
    judge_command: list[str]
    judge_cwd: Path | None
    cursor_blink: bool

    # counts and sessions
    def due_count(self) -> int: ...
    def new_count(self) -> int: ...
    def resumable(self) -> Session | None: ...

    # navigation
    def open_session(self, session: Session) -> None: ...
    def open_task(self, task: Coding) -> None: ...
    def open_exam(self, plan: ExamPlan) -> None: ...
    def action_filters(self) -> None: ...
    def action_exam(self) -> None: ...
    def action_stats(self) -> None: ...
    def action_settings(self) -> None: ...
    def action_browse(self) -> None: ...

    # judging
    def ensure_judge_service(self) -> None: ...
    def judge_service(self) -> Path | None: ...
    def judge_env(self) -> dict[str, str]: ...

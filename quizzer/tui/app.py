"""The practice UI: `QuizzerApp`, built by `make_app(bank, store, ...)` so that tests
build the real app with their own bank, store, clock and judge command.

It holds what every screen shares (bank, store, language, filters, theme, clock)
and opens the screens. `quizzer` / `quizzer practice` (`quizzer.commands.practice`)
call `run_app`. It never imports torch: the judge runs as a subprocess.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from quizzer.bank.loader import Bank
from quizzer.bank.locate import ENV_VAR as BANK_ENV
from quizzer.bank.models import LANGS, Coding
from quizzer.store import Store
from quizzer.store.srs import make_scheduler
from quizzer.tui import messages, submissions
from quizzer.tui.base import LocalScreen, translate_bindings
from quizzer.tui.exam import ExamPlan
from quizzer.tui.host import Host
from quizzer.tui.i18n import other_lang, tr
from quizzer.tui.judging import default_command
from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.session import Filters, Session, due_count, new_count
from quizzer.tui.study import StudySettings

DARK, LIGHT = "textual-dark", "textual-light"
#: A service the UI starts stops itself after this long unused, even if the UI dies.
UI_SERVICE_IDLE_S = 300.0


class QuizzerApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "quizzer"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "key.quit"),
        Binding("l", "switch_language", "key.lang"),
        Binding("ctrl+t", "toggle_theme", "key.theme"),
    ]

    lang: reactive[str] = reactive("en", init=False)

    # The screens' messages (`quizzer.tui.messages`), under the names tests use.
    Answered = messages.Answered
    CheckReported = messages.CheckReported
    JudgeFinished = messages.JudgeFinished

    def __init__(
        self,
        bank: Bank,
        store: Store,
        *,
        lang: str | None = None,
        submissions_dir: Path | None = None,
        judge_command: Sequence[str] | None = None,
        judge_cwd: Path | None = None,
        now: Callable[[], datetime] | None = None,
        timer: Callable[[], float] | None = None,
        tz: tzinfo | None = None,
        watch_interval: float = 0.1,
        exam_export_dir: Path | None = None,
        exam: ExamPlan | None = None,
        cursor_blink: bool = True,
        judge_server: Path | None = None,
    ) -> None:
        super().__init__()
        self.bank = bank
        self.store = store
        self.submissions_dir = submissions_dir or submissions.submissions_dir()
        self.judge_command = list(judge_command or default_command())
        self.judge_cwd = judge_cwd
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(timezone.utc))
        self.timer: Callable[[], float] = timer or time.monotonic
        self.tz = tz
        self.watch_interval = watch_interval
        self.exam_export_dir = exam_export_dir or Path.cwd()
        self.exam_plan = exam
        #: Off for screenshots and snapshot tests, so that they are stable.
        self.cursor_blink = cursor_blink
        #: The judge service's socket, when this app judges through it (None: always a
        #: subprocess). The app starts the service on first need and stops it on exit
        #: if it started it.
        self.judge_server = judge_server
        self._service_state: str | None = None
        self._service_started = False
        self.filters = Filters.from_dict(store.get_setting("filters"))
        self.study = StudySettings.load(store)
        store.scheduler = make_scheduler(self.study.retention)
        saved = store.get_setting("lang")
        chosen = lang or (saved if saved in LANGS else "en")
        self.set_reactive(QuizzerApp.lang, chosen if chosen in LANGS else "en")
        theme = store.get_setting("theme")
        self.theme = theme if theme in (DARK, LIGHT) else DARK
        translate_bindings(self, self.lang)
        self.use_command_palette = not self.locked

    @property
    def locked(self) -> bool:
        """A hiring screen's exam: the exam is the only screen there is."""
        return self.exam_plan is not None and self.exam_plan.locked

    def on_mount(self) -> None:
        if not self.locked:
            self.push_screen(HomeScreen())
        if self.exam_plan is not None:
            self.open_exam(self.exam_plan)
        if self.store.recovery is not None:  # the store rebuilt a damaged database on open
            self.notify(self.store.recovery.message, severity="warning", timeout=30, markup=False)

    #: What a locked exam allows of the app's own actions.
    LOCKED_ALLOWS: ClassVar[frozenset[str]] = frozenset(
        {"quit", "switch_language", "toggle_theme", "focus_next", "focus_previous"}
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.locked or action in self.LOCKED_ALLOWS

    async def action_quit(self) -> None:
        """Quit; while an exam runs, only after asking (a locked exam keeps its answers
        and clock for the next start; a practice exam ends unrecorded)."""
        from quizzer.tui.screens.exam import ExamScreen

        running = [s for s in self.screen_stack if isinstance(s, ExamScreen) and not s.finished]
        if not running:
            self.exit()
            return
        from quizzer.tui.screens.confirm import ConfirmScreen

        exam = running[-1]
        exam._save()
        if self.locked:
            question = tr("exam.leave_confirm", self.lang)
        else:
            answered = sum(1 for a in exam.answers if a.answered)
            question = tr("exam.quit_confirm", self.lang, k=answered, n=len(exam.answers))

        def decided(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmScreen(question), decided)

    # --- shared state ---------------------------------------------------------

    def judge_env(self) -> dict[str, str]:
        """The judge subprocess's environment: it loads exactly this app's bank."""
        env = dict(os.environ)
        if self.bank.dirs:
            env[BANK_ENV] = os.pathsep.join(str(Path(d).resolve()) for d in self.bank.dirs)
        return env

    def ensure_judge_service(self) -> None:
        """Start the judge service in the background if it is not running (once)."""
        if self.judge_server is None or self._service_state is not None:
            return
        self._service_state = "starting"
        sock = self.judge_server

        def go() -> None:
            from quizzer.judge import client

            try:
                if client.health(sock) is None:
                    client.start(path=sock, idle_s=UI_SERVICE_IDLE_S)
                    self._service_started = True
                self._service_state = "ready"
            except (client.ServiceError, OSError):
                self._service_state = "failed"  # the subprocess path still judges

        threading.Thread(target=go, name="judge-service", daemon=True).start()

    def judge_service(self) -> Path | None:
        """The service's socket once it answers, else None (judge in a subprocess)."""
        return self.judge_server if self._service_state == "ready" else None

    def stop_own_judge_service(self) -> None:
        """Stop the service if this app started it: quitting leaves nothing behind."""
        if self._service_started and self.judge_server is not None:
            from quizzer.judge import client

            client.shutdown(self.judge_server)
            self._service_started = False

    def on_unmount(self) -> None:
        self.stop_own_judge_service()

    def due_count(self) -> int:
        return due_count(self.bank, self.store, self.now(), self.filters)

    def new_count(self) -> int:
        return new_count(self.bank, self.store, self.filters)

    def resumable(self) -> Session | None:
        return Session.from_resume(self.store.get_setting("resume"), self.bank)

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self.store.set_setting("filters", filters.active())

    # --- opening screens --------------------------------------------------------

    def open_session(self, session: Session) -> None:
        from quizzer.tui.screens.practice import PracticeScreen

        self.push_screen(PracticeScreen(session))

    def open_task(self, task: Coding) -> None:
        from quizzer.tui.screens.coding import CodingScreen

        self.push_screen(CodingScreen(task))

    def open_exam(self, plan: ExamPlan) -> None:
        from quizzer.tui.screens.exam import ExamScreen

        self.push_screen(ExamScreen(plan))

    def action_stats(self) -> None:
        from quizzer.tui.screens.stats import StatsScreen

        self.push_screen(StatsScreen())

    def action_filters(self) -> None:
        from quizzer.tui.screens.filters import FilterScreen

        def chosen(filters: Filters | None) -> None:
            if filters is not None:
                self.set_filters(filters)
                self._refresh_home()

        self.push_screen(FilterScreen(self.filters), chosen)

    def action_browse(self) -> None:
        from quizzer.tui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen())

    def set_study(self, study: StudySettings) -> None:
        """New study settings: saved, and the retention applies from the next answer."""
        self.study = study
        study.save(self.store)
        self.store.scheduler = make_scheduler(study.retention)

    def action_settings(self) -> None:
        from quizzer.tui.screens.settings import SettingsScreen

        def chosen(study: StudySettings | None) -> None:
            if study is not None:
                self.set_study(study)
                self._refresh_home()

        self.push_screen(SettingsScreen(self.study), chosen)

    def action_exam(self) -> None:
        from quizzer.tui.screens.exam_setup import ExamSetupScreen

        def chosen(plan: ExamPlan | None) -> None:
            if plan is not None:
                self.open_exam(plan)

        self.push_screen(ExamSetupScreen(), chosen)

    def action_review(self) -> None:
        self._from_home("action_review")

    def action_learn(self) -> None:
        self._from_home("action_learn")

    def action_home(self) -> None:
        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def _from_home(self, action: str) -> None:
        self.action_home()
        home = self.screen
        if isinstance(home, HomeScreen):
            getattr(home, action)()

    def _refresh_home(self) -> None:
        home = self.screen
        if isinstance(home, HomeScreen):
            self.call_later(home.refresh_view)

    # --- language and theme -----------------------------------------------------

    def action_switch_language(self) -> None:
        self.lang = other_lang(self.lang)

    async def watch_lang(self, lang: str) -> None:
        self.store.set_setting("lang", lang)
        translate_bindings(self, lang)
        self.refresh_bindings()
        screen = self.screen
        if isinstance(screen, LocalScreen):
            await screen.relocalize()
        self.notify(tr("lang.switched", lang))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def watch_theme(self, theme: str) -> None:
        if theme in (DARK, LIGHT) and self.is_running:
            self.store.set_setting("theme", theme)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        if self.locked:
            return
        yield from super().get_system_commands(screen)
        lang = self.lang
        yield SystemCommand(
            tr("cmd.lang", lang), tr("cmd.lang.help", lang), self.action_switch_language
        )
        yield SystemCommand(
            tr("cmd.theme", lang), tr("cmd.theme.help", lang), self.action_toggle_theme
        )
        yield SystemCommand(tr("cmd.review", lang), tr("cmd.review", lang), self.action_review)
        yield SystemCommand(tr("cmd.learn", lang), tr("cmd.learn", lang), self.action_learn)
        yield SystemCommand(tr("cmd.stats", lang), tr("cmd.stats", lang), self.action_stats)
        yield SystemCommand(
            tr("cmd.settings", lang), tr("cmd.settings.help", lang), self.action_settings
        )
        yield SystemCommand(tr("cmd.browse", lang), tr("cmd.browse.help", lang), self.action_browse)
        yield SystemCommand(tr("cmd.exam", lang), tr("cmd.exam", lang), self.action_exam)
        yield SystemCommand(tr("cmd.home", lang), tr("cmd.home", lang), self.action_home)


def make_app(bank: Bank, store: Store, **options: Any) -> QuizzerApp:
    """The practice app on `bank` and `store`. Options (all keyword): lang,
    submissions_dir, judge_command, judge_cwd, now, timer, tz, watch_interval,
    exam_export_dir, exam, cursor_blink. See `QuizzerApp`."""
    return QuizzerApp(bank, store, **options)


def run_app(
    *,
    bank_dirs: Sequence[Path] | None = None,
    lang: str | None = None,
) -> None:
    """Open the practice UI on the bundled bank (plus `bank_dirs`) and the user's
    progress store. Raises `BankError` / `ProgressError` before the screen opens."""
    from quizzer.bank.loader import load_bank
    from quizzer.judge.client import socket_path
    from quizzer.store import open_store

    bank = load_bank(list(bank_dirs) if bank_dirs else None)
    with open_store() as store:
        app = make_app(bank, store, lang=lang, judge_server=socket_path())
        try:
            app.run()
        finally:
            app.stop_own_judge_service()


if TYPE_CHECKING:  # the app is what its screens take it for (checked by mypy)

    def _is_a_host(app: QuizzerApp) -> Host:
        return app

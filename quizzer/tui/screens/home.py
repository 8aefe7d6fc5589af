"""The home screen: topics with question counts, the learner's accuracy and what is
due; today's reviews and new questions; continue where they left off; bookmarks;
filters; the coding tasks. Every session starts here.

The app's first screen (`quizzer.tui.app`); it refreshes whenever it comes back
to the front.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from quizzer.bank.models import Coding
from quizzer.store import stats
from quizzer.tui.base import LocalScreen
from quizzer.tui.i18n import topic_name
from quizzer.tui.session import (
    LEARN_BATCH,
    Filters,
    Session,
    bookmark_session,
    due_count,
    learn_session,
    practice_session,
    review_session,
)
from quizzer.tui.study import end_of_today, end_of_tomorrow, left_today, suspended, today

ALL_TOPICS = "*"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


class HomeScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "review", "key.review"),
        Binding("n", "learn", "key.learn"),
        # c, m, f and t are shown next to what they open, not in the footer.
        Binding("c", "resume", "key.continue", show=False),
        Binding("m", "bookmarks", "key.bookmarks", show=False),
        Binding("f", "filters", "key.filters", show=False),
        Binding("e", "exam", "key.exam"),
        Binding("s", "stats", "key.stats"),
        Binding("t", "tasks", "key.tasks", show=False),
        Binding("o", "settings", "key.settings", show=False),
        Binding("slash", "browse", "key.browse"),
    ]

    def __init__(self) -> None:
        super().__init__(id="home")
        self._topic_row = 0
        self._resumed_before = False

    @property
    def filters(self) -> Filters:
        return self.qapp.filters

    def screen_title(self) -> str:
        return self.t("home.title")

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="home-main"):
            with Vertical(id="home-left"):
                yield Static(self.t("home.topics"), classes="heading")
                yield DataTable(id="topics", cursor_type="row", zebra_stripes=True)
                yield Static(self.t("home.tasks"), classes="heading")
                yield DataTable(id="tasks", cursor_type="row")
            with Vertical(id="today"):
                yield Static(self.t("home.today"), classes="heading")
                yield from self._today()

    def _today(self) -> ComposeResult:
        app = self.qapp
        now = app.now()
        due = app.due_count()
        yield Static(f"r  {self.t('home.due', n=due)}", id="due-line", markup=False)
        yield Static(f"n  {self.t('home.new', n=app.new_count())}", id="new-line", markup=False)
        resume = app.resumable()
        if resume is not None:
            done = sum(1 for s in resume.states.values() if s.answered)
            title = resume.title_in(self.lang)
            text = self.t("home.continue", title=title, done=done, total=len(resume))
        else:
            text = self.t("home.nothing_to_continue")
        yield Static(f"c  {text}", id="continue-line", markup=False)
        marked = len(app.store.bookmarks() & set(app.bank.ids()))
        yield Static(f"m  {self.t('home.bookmarks', n=marked)}", id="bookmark-line", markup=False)
        active = self.filters.active()
        what = ", ".join(f"{k}={v}" for k, v in active.items()) or self.t("home.no_filters")
        yield Static(f"f  {self.t('home.filters', what=what)}", id="filters-line", markup=False)
        day, study = today(app.store, now, app.tz), app.study
        tonight = due_count(app.bank, app.store, end_of_today(now, app.tz), self.filters)
        tomorrow = due_count(app.bank, app.store, end_of_tomorrow(now, app.tz), self.filters)
        yield Static(
            "o  "
            + self.t(
                "home.today_counts",
                new=day.new,
                new_limit=study.new_per_day,
                reviews=day.reviews,
                review_limit=study.reviews_per_day,
                later=max(0, tonight - due),
                tomorrow=max(0, tomorrow - tonight),
            ),
            id="today-line",
            markup=False,
        )
        streak = stats.streaks(app.store, now=now, tz=app.tz)
        yield Static(self.t("home.streak", n=streak.current), id="streak-line", markup=False)

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        self._fill_topics()
        self._fill_tasks()
        table = self.query_one("#topics", DataTable)
        table.focus()

    async def on_screen_resume(self) -> None:
        if self._resumed_before and self.composed_lang == self.lang:
            await self.refresh_view()
        self._resumed_before = True

    async def refresh_view(self) -> None:
        """Rebuild with fresh numbers (after a session, a filter change)."""
        await self.rebuild()
        self._fill()

    def after_relocalize(self) -> None:
        self._fill()

    def _fill_topics(self) -> None:
        app = self.qapp
        table = self.query_one("#topics", DataTable)
        table.clear(columns=True)
        table.add_column(self.t("home.col.topic"), key="topic")
        for key in ("questions", "answered", "accuracy", "due"):
            table.add_column(self.t(f"home.col.{key}"), key=key)
        # Every cell counts the questions its row holds (the filters but the topic):
        # answered, accuracy and due all speak of those questions and no others.
        scope = Filters(None, self.filters.tag, self.filters.type, self.filters.difficulty)
        questions = scope.concept_questions(app.bank)
        tried = stats.question_accuracy(app.store)
        due = set(app.store.due_ids(app.now()))

        def cells(mine: list) -> list[str]:
            attempts = sum(tried[q.id][0] for q in mine if q.id in tried)
            correct = sum(tried[q.id][1] for q in mine if q.id in tried)
            return [
                str(len(mine)),
                str(sum(1 for q in mine if q.id in tried)),
                percent(correct / attempts if attempts else None),
                str(sum(1 for q in mine if q.id in due)),
            ]

        table.add_row(self.t("home.all_topics"), *cells(questions), key=ALL_TOPICS)
        for topic in app.bank.topics():
            mine = [q for q in questions if q.topic == topic]
            if mine:
                table.add_row(topic_name(topic, self.lang), *cells(mine), key=topic)
        # Back from a session: the cursor stays on the topic just practised.
        table.move_cursor(row=min(self._topic_row, max(table.row_count - 1, 0)))

    def _fill_tasks(self) -> None:
        app = self.qapp
        table = self.query_one("#tasks", DataTable)
        table.clear(columns=True)
        table.add_column(self.t("home.col.task"), key="task")
        table.add_column(self.t("home.col.class"), key="class")
        table.add_column(self.t("home.col.status"), key="status")
        for task in app.bank.tasks():
            status = app.store.task_status(task.id)
            shown = self.t(f"status.{status}") if status in ("pass", "fail", "error") else None
            if app.store.task_passed(task.id):
                shown = self.t("status.pass")
            table.add_row(task.id, task.class_name, shown or self.t("status.none"), key=task.id)

    # --- starting sessions ------------------------------------------------------

    def _start(self, session: Session, empty_key: str) -> None:
        if not session.ids:
            self.notify(self.t(empty_key), severity="warning")
            return
        self.qapp.open_session(session)

    @on(DataTable.RowSelected, "#topics")
    def _topic_chosen(self, event: DataTable.RowSelected) -> None:
        self._topic_row = event.cursor_row
        topic = event.row_key.value
        filters = self.filters
        scope = Filters(
            None if topic == ALL_TOPICS else topic, filters.tag, filters.type, filters.difficulty
        )
        session = practice_session(self.qapp.bank, scope, "", suspended(self.qapp.store))
        session.label = "session.practice"
        session.topic = None if topic == ALL_TOPICS else str(topic)
        session.title = session.title_in(self.lang)
        self._start(session, "home.no_questions")

    @on(DataTable.RowSelected, "#tasks")
    def _task_chosen(self, event: DataTable.RowSelected) -> None:
        task = self.qapp.bank.get(str(event.row_key.value))
        if isinstance(task, Coding):
            self.qapp.open_task(task)

    def _left_today(self) -> tuple[int, int]:
        app = self.qapp
        return left_today(app.study, today(app.store, app.now(), app.tz))

    def action_review(self) -> None:
        app = self.qapp
        reviews_left = self._left_today()[1]
        if reviews_left == 0 and app.due_count():
            self.notify(self.t("home.limit_reviews", n=app.study.reviews_per_day))
            return
        session = review_session(
            app.bank, app.store, app.now(), self.t("session.review"), self.filters, reviews_left
        )
        session.label = "session.review"
        self._start(session, "home.nothing_due")

    def action_learn(self) -> None:
        app = self.qapp
        new_left = self._left_today()[0]
        session = learn_session(
            app.bank, app.store, self.filters, self.t("session.learn"), min(LEARN_BATCH, new_left)
        )
        session.label = "session.learn"
        if not session.ids and new_left == 0 and app.new_count():
            self.notify(self.t("home.limit_new", n=app.study.new_per_day))
            return
        self._start(session, "home.nothing_new")

    def action_settings(self) -> None:
        self.qapp.action_settings()

    def action_browse(self) -> None:
        self.qapp.action_browse()

    def action_resume(self) -> None:
        session = self.qapp.resumable()
        if session is None:
            self.notify(self.t("home.nothing_to_continue"), severity="warning")
            return
        self.qapp.open_session(session)

    def action_bookmarks(self) -> None:
        app = self.qapp
        session = bookmark_session(app.bank, app.store, self.t("session.bookmarks"))
        session.label = "session.bookmarks"
        self._start(session, "home.no_bookmarks")

    def action_filters(self) -> None:
        self.qapp.action_filters()

    def action_exam(self) -> None:
        self.qapp.action_exam()

    def action_stats(self) -> None:
        self.qapp.action_stats()

    def action_tasks(self) -> None:
        self.query_one("#tasks", DataTable).focus()

"""The end of a practice session: the score (first answers), the time spent, what is
due tomorrow, and the questions missed, each of which Enter opens again. Shown by the
practice screen in its place when the session is done; Escape goes home."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from quizzer.bank.models import text_in
from quizzer.tui.base import LocalScreen
from quizzer.tui.i18n import duration, topic_name
from quizzer.tui.session import Session, due_count
from quizzer.tui.study import end_of_tomorrow


class SummaryScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "key.home")]

    def __init__(self, session: Session) -> None:
        super().__init__(id="summary")
        self.session = session

    def screen_title(self) -> str:
        return self.t("summary.title", title=self.session.title_in(self.lang))

    def compose_body(self) -> ComposeResult:
        app, session = self.qapp, self.session
        score, answered = session.score()
        tomorrow = due_count(app.bank, app.store, end_of_tomorrow(app.now(), app.tz))
        with VerticalScroll(id="summary-body"):
            yield Static(
                self.t("summary.score", score=score, n=answered), id="summary-score", markup=False
            )
            yield Static(
                self.t("summary.time", time=duration(session.seconds())),
                id="summary-time",
                markup=False,
            )
            yield Static(
                self.t("summary.tomorrow", n=tomorrow), id="summary-tomorrow", markup=False
            )
            if session.missed:
                yield Static(self.t("summary.missed"), classes="heading")
                yield DataTable(id="missed", cursor_type="row")
            else:
                yield Static(self.t("summary.none_missed"), id="summary-clean")

    def on_mount(self) -> None:
        self._fill()

    def after_relocalize(self) -> None:
        self._fill()

    def _fill(self) -> None:
        found = self.query("#missed")
        if not found:
            return
        table = found.first(DataTable)
        table.clear(columns=True)
        table.add_column(self.t("summary.col.question"), key="question")
        table.add_column(self.t("summary.col.topic"), key="topic")
        for qid in self.session.missed:
            if qid not in self.qapp.bank:
                continue
            question = self.qapp.bank.get(qid)
            first = text_in(question.prompt, self.lang).strip().splitlines()[0]
            shown = first if len(first) <= 70 else first[:69] + "…"
            table.add_row(shown, topic_name(question.topic, self.lang), key=qid)
        table.focus()

    @on(DataTable.RowSelected, "#missed")
    def _open(self, event: DataTable.RowSelected) -> None:
        qid = str(event.row_key.value)
        self.qapp.open_session(Session("practice", self.t("summary.again", title=qid), [qid]))

    def action_back(self) -> None:
        self.dismiss()

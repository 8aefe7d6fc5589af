"""The question browser: search the bank by text (either language) and id, with
Anki-style `is:` terms (bookmarked, suspended, leech, due, new); open a question
(Enter), bookmark it (b), suspend it (x: it leaves every session until unsuspended).
Leeches, questions missed again and again, are flagged. Opened from home (/) or the
command palette.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from quizzer.bank.loader import Bank
from quizzer.bank.models import Question, text_in
from quizzer.tui.base import LocalScreen
from quizzer.tui.i18n import in_time, kind_name, topic_name
from quizzer.tui.session import Session
from quizzer.tui.study import leeches, suspended, toggle_suspended

FLAGS = ("bookmarked", "suspended", "leech", "due", "new")


@dataclass(frozen=True)
class Marks:
    """What the learner's progress says of the bank's questions."""

    bookmarked: set[str]
    suspended: set[str]
    leech: set[str]
    due: set[str]
    scheduled: set[str]

    def has(self, qid: str, flag: str) -> bool:
        if flag == "new":
            return qid not in self.scheduled
        return qid in getattr(self, flag)


def searchable(question: Question) -> str:
    """The text a search looks in: id, prompt and options, in both languages."""
    parts = [question.id, question.topic, *question.tags]
    for lang in ("en", "zh"):
        parts.append(text_in(question.prompt, lang))
        parts += [text_in(o.text, lang) for o in getattr(question, "options", ())]
    return "\n".join(parts).casefold()


def search(bank: Bank, marks: Marks, query: str) -> tuple[list[Question], list[str]]:
    """The concept questions matching every word of `query` (`is:FLAG` terms match
    marks), in bank order, and the `is:` terms that are not known flags."""
    words: list[str] = []
    flags: list[str] = []
    unknown: list[str] = []
    for term in query.split():
        if term.casefold().startswith("is:"):
            flag = term[3:].casefold()
            (flags if flag in FLAGS else unknown).append(flag)
        else:
            words.append(term.casefold())
    found: list[Question] = [
        q
        for q in bank.questions
        if q.type != "coding"
        and all(w in searchable(q) for w in words)
        and all(marks.has(q.id, f) for f in flags)
    ]
    return found, unknown


class BrowserScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "key.search", show=False),
        Binding("b", "bookmark", "key.bookmark"),
        Binding("x", "suspend", "key.suspend"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__(id="browser")
        self.initial = query

    def screen_title(self) -> str:
        return self.t("browse.title")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="browser-body"):
            yield Input(self.initial, placeholder=self.t("browse.placeholder"), id="search")
            yield Static("", id="browse-count", classes="dim", markup=False)
            yield DataTable(id="results", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#search", Input).focus()

    def after_relocalize(self) -> None:
        self._fill()

    def _marks(self) -> Marks:
        app = self.qapp
        store = app.store
        return Marks(
            bookmarked=store.bookmarks(),
            suspended=suspended(store),
            leech=leeches(store),
            due=set(store.due_ids(app.now())),
            scheduled=store.scheduled_ids(),
        )

    def _fill(self) -> None:
        app, lang = self.qapp, self.lang
        marks = self._marks()
        query = self.query_one("#search", Input).value
        found, unknown = search(app.bank, marks, query)
        table = self.query_one("#results", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        for key in ("id", "topic", "type", "review", "marks"):
            table.add_column(self.t(f"browse.col.{key}"), key=key)
        for q in found:
            table.add_row(
                q.id,
                topic_name(q.topic, lang),
                kind_name(q.type, lang),
                self._review(q.id, marks),
                self._flags(q.id, marks),
                key=q.id,
            )
        table.move_cursor(row=min(keep, max(table.row_count - 1, 0)))
        count = self.t("browse.count", n=len(found))
        if unknown:
            count += " · " + self.t(
                "browse.unknown", terms=", ".join(unknown), known=" ".join(FLAGS)
            )
        self.query_one("#browse-count", Static).update(count)

    def _review(self, qid: str, marks: Marks) -> str:
        if qid not in marks.scheduled:
            return self.t("browse.new")
        if qid in marks.due:
            return self.t("browse.due_now")
        card = self.qapp.store.card(qid)
        if card is None:
            return ""
        return in_time((card.due - self.qapp.now()).total_seconds(), self.lang)

    def _flags(self, qid: str, marks: Marks) -> str:
        shown = [
            self.t(f"browse.flag.{flag}")
            for flag in ("bookmarked", "suspended", "leech")
            if marks.has(qid, flag)
        ]
        return " ".join(shown)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#results", DataTable).focus()

    def _selected(self) -> str | None:
        table = self.query_one("#results", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value)

    @on(DataTable.RowSelected, "#results")
    def _open(self, event: DataTable.RowSelected) -> None:
        qid = str(event.row_key.value)
        self.qapp.open_session(Session("practice", qid, [qid]))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_bookmark(self) -> None:
        qid = self._selected()
        if qid is not None:
            marked = self.qapp.store.toggle_bookmark(qid, when=self.qapp.now())
            self.notify(self.t("key.bookmarked" if marked else "key.unbookmarked"))
            self._fill()

    def action_suspend(self) -> None:
        qid = self._selected()
        if qid is not None:
            now = toggle_suspended(self.qapp.store, qid)
            self.notify(self.t("browse.suspended" if now else "browse.unsuspended", id=qid))
            self._fill()

    def action_back(self) -> None:
        self.dismiss()

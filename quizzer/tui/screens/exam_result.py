"""The exam result screen: the score, a breakdown per topic and per type, and every
question with the answer given and the right one; Enter on a question opens it with
its explanation (`ExamAnswerScreen`). x exports the answers to a JSON file. Replaces
the exam screen when the exam ends."""

from __future__ import annotations

import json
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from quizzer.tui.base import LocalScreen
from quizzer.tui.exam import ExamResult, export_answers
from quizzer.tui.i18n import duration
from quizzer.tui.screens.exam_answer import ExamAnswerScreen
from quizzer.tui.widgets.answers import response_text
from quizzer.tui.widgets.bars import BarChart


def shown(response: object, width: int = 30) -> str:
    text = json.dumps(response, ensure_ascii=False) if not isinstance(response, str) else response
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class ExamResultScreen(LocalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "export", "key.export"),
        Binding("escape", "home", "key.home"),
    ]

    def __init__(self, result: ExamResult) -> None:
        super().__init__(id="exam-result")
        self.result = result
        self.exported_to: str | None = None

    def screen_title(self) -> str:
        return self.t("exam.result")

    def compose_body(self) -> ComposeResult:
        result = self.result
        with VerticalScroll(id="exam-result-body"):
            if not result.plan.reveal:
                answered = sum(1 for a in result.answers if a.answered)
                yield Static(
                    self.t("exam.recorded", answered=answered, total=len(result.answers)),
                    id="exam-score",
                    classes="heading",
                    markup=False,
                )
                return
            pct = result.score / result.max_score if result.max_score else 0.0
            yield Static(
                self.t(
                    "exam.score",
                    score=result.score,
                    max=result.max_score,
                    pct=pct,
                    time=duration(result.seconds),
                ),
                id="exam-score",
                classes="heading",
                markup=False,
            )
            if result.timed_out:
                yield Static(self.t("exam.time_up"), classes="dim")
            for key, table in (
                ("exam.by_topic", result.by_topic),
                ("exam.by_type", result.by_type),
            ):
                yield Static(self.t(key), classes="heading")
                rows = [
                    (name, b.score / b.total if b.total else 0.0, f"{b.score:g}/{b.total}")
                    for name, b in sorted(table.items())
                ]
                yield BarChart(rows, maximum=1.0, width=24)
            yield Static(self.t("exam.questions"), classes="heading")
            yield Static(self.t("exam.open_hint"), classes="dim", markup=False)
            yield DataTable(id="exam-answers", cursor_type="row")

    def on_mount(self) -> None:
        if not self.result.plan.reveal:
            return
        table = self.query_one("#exam-answers", DataTable)
        table.add_columns("#", "id", "✔", self.t("exam.col.yours"), self.t("exam.col.expected"))
        for i, answer in enumerate(self.result.answers, start=1):
            grade = answer.grade
            mark = "✔" if grade and grade.correct else ("◐" if grade and grade.score else "✘")
            given = (
                shown(response_text(answer.question, answer.response, self.lang))
                if answer.answered
                else self.t("exam.unanswered")
            )
            expected = shown(grade.expected) if grade else ""
            table.add_row(str(i), answer.question.id, mark, given, expected, key=str(i - 1))
        table.focus()  # arrows move between questions, Enter opens one

    def after_relocalize(self) -> None:
        self.on_mount()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A hiring screen's exam exports nothing (the file would hold the answer keys)
        and has no home screen to return to."""
        plan = self.result.plan
        return not ((action == "export" and not plan.reveal) or (action == "home" and plan.locked))

    @on(DataTable.RowSelected, "#exam-answers")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.open_answer(int(str(event.row_key.value)))

    def open_answer(self, index: int) -> None:
        """The question, the answer given, the right one and the explanation."""
        if self.result.plan.reveal and 0 <= index < len(self.result.answers):
            self.app.push_screen(ExamAnswerScreen(self.result.answers, index))

    def action_export(self) -> None:
        directory = self.qapp.exam_export_dir
        try:
            path = export_answers(self.result, directory)
        except OSError as exc:
            self.notify(
                self.t("exam.export_failed", path=directory, why=exc.strerror), severity="error"
            )
            return
        self.exported_to = str(path)
        self.notify(self.t("exam.exported", path=path))

    def action_home(self) -> None:
        self.dismiss()

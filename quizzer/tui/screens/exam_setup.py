"""`ExamSetupScreen`: how many questions and how many minutes, over the current
filters. A modal that dismisses with an `ExamPlan` (or None). Opened from home (e)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from quizzer.tui.base import LocalModal
from quizzer.tui.exam import ExamPlan

DEFAULT_COUNT = 10
DEFAULT_MINUTES = 15


class ExamSetupScreen(LocalModal[ExamPlan | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "filters.cancel")]

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.seed = seed

    def compose(self) -> ComposeResult:
        active = self.qapp.filters.active()
        what = ", ".join(f"{k}={v}" for k, v in active.items()) or self.t("home.all_topics")
        with Vertical(classes="dialog", id="exam-setup"):
            yield Label(self.t("exam.setup"), classes="heading")
            yield Static(self.t("exam.scope", what=what), markup=False)
            yield Label(self.t("exam.count"))
            yield Input(str(DEFAULT_COUNT), id="exam-count", type="integer")
            yield Label(self.t("exam.minutes"))
            yield Input(str(DEFAULT_MINUTES), id="exam-minutes", type="integer")
            with Horizontal(classes="buttons"):
                yield Button(self.t("exam.start"), id="start", variant="primary")
                yield Button(self.t("filters.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#exam-count", Input).focus()

    def _plan(self) -> ExamPlan | None:
        try:
            count = int(self.query_one("#exam-count", Input).value)
            minutes = int(self.query_one("#exam-minutes", Input).value)
        except ValueError:
            count = minutes = 0
        if count <= 0 or minutes <= 0:
            self.notify(self.t("exam.bad_number"), severity="error")
            return None
        app = self.qapp
        plan = ExamPlan.sample(
            app.bank, app.filters, count, minutes, self.t("exam.default_title"), self.seed
        )
        if not plan.question_ids:
            self.notify(self.t("exam.nothing"), severity="warning")
            return None
        return plan

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._go()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self._go()
        else:
            self.dismiss(None)

    def _go(self) -> None:
        plan = self._plan()
        if plan is not None:
            self.dismiss(plan)

    def action_cancel(self) -> None:
        self.dismiss(None)

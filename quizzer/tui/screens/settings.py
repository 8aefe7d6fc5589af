"""`SettingsScreen`: the study settings (desired retention, new questions and
reviews a day) as a modal that dismisses with `StudySettings` (or None). A value out
of range is refused with its range, and nothing is saved. Opened from home (o) or the
command palette."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from quizzer.tui.base import LocalModal
from quizzer.tui.study import LIMIT_RANGE, RETENTION_RANGE, StudySettings, within


class SettingsScreen(LocalModal[StudySettings | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "filters.cancel")]

    def __init__(self, current: StudySettings) -> None:
        super().__init__(classes="dialog-screen")
        self.current = current

    def compose(self) -> ComposeResult:
        low, high = RETENTION_RANGE
        with Vertical(classes="dialog", id="settings"):
            yield Label(self.t("settings.title"), classes="heading")
            yield Label(self.t("settings.retention", low=low, high=high))
            yield Input(f"{self.current.retention:g}", id="retention", type="number")
            yield Static(self.t("settings.retention_help"), classes="dim", markup=False)
            yield Label(self.t("settings.new_per_day"))
            yield Input(str(self.current.new_per_day), id="new-per-day", type="integer")
            yield Label(self.t("settings.reviews_per_day"))
            yield Input(str(self.current.reviews_per_day), id="reviews-per-day", type="integer")
            with Horizontal(classes="buttons"):
                yield Button(self.t("settings.save"), id="save", variant="primary")
                yield Button(self.t("filters.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#retention", Input).focus()

    def chosen(self) -> StudySettings | None:
        """The settings typed, or None after saying what is out of range."""
        try:
            retention = float(self.query_one("#retention", Input).value)
        except ValueError:
            retention = -1.0
        if not within(retention, RETENTION_RANGE):
            low, high = RETENTION_RANGE
            self.notify(self.t("settings.bad_retention", low=low, high=high), severity="error")
            return None
        limits = []
        for field in ("new-per-day", "reviews-per-day"):
            try:
                value = int(self.query_one(f"#{field}", Input).value)
            except ValueError:
                value = -1
            if not within(value, LIMIT_RANGE):
                self.notify(self.t("settings.bad_limit", high=LIMIT_RANGE[1]), severity="error")
                return None
            limits.append(value)
        return StudySettings(retention, limits[0], limits[1])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        study = self.chosen()
        if study is not None:
            self.dismiss(study)

    def action_cancel(self) -> None:
        self.dismiss(None)

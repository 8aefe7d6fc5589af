"""`FilterScreen`: narrow the bank by topic, tag, type and difficulty. A modal that
dismisses with the new `Filters` (or None when cancelled). Opened from home (f)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Select

from quizzer.tui.base import LocalModal
from quizzer.tui.i18n import kind_name, topic_name
from quizzer.tui.session import Filters

FIELDS = ("topic", "tag", "type", "difficulty")


class FilterScreen(LocalModal[Filters | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "filters.cancel")]

    def __init__(self, current: Filters) -> None:
        super().__init__(classes="dialog-screen")
        self.current = current

    def _choices(self, field: str) -> list[str]:
        bank = self.qapp.bank
        concept = [q for q in bank.questions if q.type != "coding"]
        if field == "topic":
            return sorted({q.topic for q in concept})
        if field == "tag":
            return sorted({t for q in concept for t in q.tags})
        if field == "type":
            return [t for t in bank.types() if t != "coding"]
        return [d for d in ("easy", "medium", "hard") if any(q.difficulty == d for q in concept)]

    def _shown(self, field: str, value: str) -> str:
        if field == "topic":
            return topic_name(value, self.lang)
        return value if field == "tag" else kind_name(value, self.lang)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="filters"):
            yield Label(self.t("filters.title"), classes="heading")
            for field in FIELDS:
                yield Label(self.t(f"filters.{field}"))
                value = getattr(self.current, field)
                options = [(self._shown(field, c), c) for c in self._choices(field)]
                yield Select(
                    options,
                    prompt=self.t("filters.any"),
                    value=value if value in dict(options) else Select.NULL,
                    id=f"filter-{field}",
                )
            with Horizontal(classes="buttons"):
                yield Button(self.t("filters.apply"), id="apply", variant="primary")
                yield Button(self.t("filters.clear"), id="clear")
                yield Button(self.t("filters.cancel"), id="cancel")

    def chosen(self) -> Filters:
        values: dict[str, str | None] = {}
        for field in FIELDS:
            value = self.query_one(f"#filter-{field}", Select).value
            values[field] = value if isinstance(value, str) else None
        return Filters(**values)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.dismiss(self.chosen())
        elif event.button.id == "clear":
            self.dismiss(Filters())
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""`CodeScreen`: a read-only, highlighted view of a Python file in a modal (the
reference solution after a pass). Escape closes it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from quizzer.tui.base import LocalModal
from quizzer.tui.widgets.question import code_view


class CodeScreen(LocalModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "key.back")]

    def __init__(self, title: str, code: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.code = code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(self.title_text, classes="heading", markup=False)
            with VerticalScroll():
                yield code_view(self.code, dark=self.app.current_theme.dark, id="code-view")

    def action_close(self) -> None:
        self.dismiss(None)

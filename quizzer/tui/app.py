"""Placeholder practice app until the practice UI lands."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class QuizzerApp(App[None]):
    TITLE = "quizzer"
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("quizzer practice: coming soon. Press q to quit.")
        yield Footer()


def run_app() -> None:
    QuizzerApp().run()

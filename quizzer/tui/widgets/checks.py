"""`CheckList`: the judge's checks for one task with live status, filled in as the
judge reports each check. Used by the coding screen."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from quizzer.tui.judging import CheckEvent

ICONS = {
    "pass": ("✔", "green"),
    "fail": ("✘", "red"),
    "error": ("!", "red"),
    "skipped": ("–", "dim"),
    "pending": ("·", "dim"),
    "running": ("…", "yellow"),
}


class CheckList(Static):
    DEFAULT_CSS = """
    CheckList { height: auto; padding: 0 1; }
    """

    def __init__(self, names: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = list(names)
        self.results: dict[str, CheckEvent] = {}
        self.running = False

    def on_mount(self) -> None:
        self._paint()

    def reset(self, running: bool) -> None:
        self.results = {}
        self.running = running
        self._paint()

    def add(self, event: CheckEvent) -> None:
        if event.name not in self.names:
            self.names.append(event.name)
        self.results[event.name] = event
        self._paint()

    def finish(self, checks: tuple[CheckEvent, ...]) -> None:
        for check in checks:
            self.add(check)
        self.running = False
        self._paint()

    def status_of(self, name: str) -> str:
        if name in self.results:
            return self.results[name].status
        first_open = next((n for n in self.names if n not in self.results), None)
        return "running" if self.running and name == first_open else "pending"

    def _paint(self) -> None:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for name in self.names:
            status = self.status_of(name)
            icon, style = ICONS.get(status, ("?", "red"))
            message = self.results[name].message if name in self.results else ""
            table.add_row(Text(icon, style=style), Text(name, style="bold"), Text(message))
        self.update(table)

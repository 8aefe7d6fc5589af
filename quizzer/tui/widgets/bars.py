"""`BarChart`: labelled horizontal bars drawn with Unicode eighth blocks, for the
stats screen (accuracy per topic and per day, time, reviews coming up)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int) -> str:
    """A bar `fraction` (0..1) of `width` cells long, to an eighth of a cell."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part else "")
    return text.ljust(width)


class BarChart(Static):
    """Rows of (label, value, shown text); bars scale to `maximum` (or the largest
    value)."""

    DEFAULT_CSS = """
    BarChart { height: auto; padding: 0 1; }
    """

    def __init__(
        self,
        rows: Sequence[tuple[str, float, str]],
        *,
        maximum: float | None = None,
        width: int = 30,
        style: str = "green",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.rows = list(rows)
        self.maximum = maximum
        self.width = width
        self.bar_style = style

    def on_mount(self) -> None:
        self.update(self.render_table())

    def render_table(self) -> Table:
        top = self.maximum or max((v for _, v, _ in self.rows), default=0) or 1
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, justify="right")
        for label, value, shown in self.rows:
            table.add_row(
                Text(label), Text(bar(value / top, self.width), style=self.bar_style), Text(shown)
            )
        return table

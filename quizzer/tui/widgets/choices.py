"""`ChoiceList`: options picked with number keys (or arrows and space, or the
mouse), for single choice, multiple choice, true/false, `code_output` with options,
and ticking the rubric of an open question.

Posts `ChoiceList.Changed` on every pick and `ChoiceList.Submitted` on Enter.
Used by `quizzer.tui.widgets.answers` and the exam screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from quizzer.tui.base import translate_bindings


class ChoiceItem(Static):
    """One option line; clicking it picks it."""

    def __init__(self, index: int, label: str, line: str) -> None:
        super().__init__(line, classes="choice-item", markup=False)
        self.index = index
        self.label = label

    def on_click(self, event: events.Click) -> None:
        event.stop()
        parent = self.parent
        if isinstance(parent, ChoiceList):
            parent.focus()
            parent.cursor = self.index
            parent.pick(self.index)


class ChoiceList(Vertical, can_focus=True):
    DEFAULT_CSS = """
    ChoiceList { height: auto; padding: 0 1; border: round $primary 40%; }
    ChoiceList:focus { border: round $primary; }
    ChoiceList > .choice-item { height: auto; }
    ChoiceList > .choice-item.-cursor { background: $boost; text-style: bold; }
    ChoiceList > .choice-item.-right { color: $success; }
    ChoiceList > .choice-item.-wrong { color: $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"pick({n - 1})", show=False) for n in range(1, 10)),
        Binding("up,k", "cursor(-1)", show=False),
        Binding("down,j", "cursor(1)", show=False),
        Binding("space", "toggle_cursor", show=False),
        Binding("enter", "submit", "key.submit"),
    ]

    cursor = reactive(0)

    class Changed(Message):
        def __init__(self, choices: ChoiceList) -> None:
            super().__init__()
            self.choices = choices

        @property
        def control(self) -> ChoiceList:
            return self.choices

    class Submitted(Message):
        def __init__(self, choices: ChoiceList, value: list[str]) -> None:
            super().__init__()
            self.choices = choices
            self.value = value

        @property
        def control(self) -> ChoiceList:
            return self.choices

    def __init__(
        self,
        items: Sequence[tuple[str, str]],
        *,
        multi: bool = False,
        selected: Sequence[str] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.items = list(items)
        self.multi = multi
        self.selected: list[str] = [s for s in selected if s in self.ids]
        self.locked = False
        #: After grading: option ids that are right, shown in green (picks in red).
        self.right: set[str] | None = None

    @property
    def ids(self) -> list[str]:
        return [oid for oid, _ in self.items]

    def compose(self) -> ComposeResult:
        for i, (_, label) in enumerate(self.items):
            yield ChoiceItem(i, label, self._line(i))

    def on_mount(self) -> None:
        translate_bindings(self, getattr(self.app, "lang", "en"))
        self._paint()

    def watch_cursor(self) -> None:
        self._paint()

    def value(self) -> list[str]:
        """The picked option ids, in the options' order."""
        return [oid for oid in self.ids if oid in self.selected]

    def pick(self, index: int) -> None:
        if self.locked or not 0 <= index < len(self.items):
            return
        oid = self.items[index][0]
        if self.multi:
            if oid in self.selected:
                self.selected.remove(oid)
            else:
                self.selected.append(oid)
        else:
            self.selected = [oid]
        self.cursor = index
        self._paint()
        self.post_message(self.Changed(self))

    def freeze(self, right: set[str] | None = None) -> None:
        """No more picks; with `right`, mark the right options and wrong picks."""
        self.locked = True
        self.right = right
        self._paint()

    def action_pick(self, index: int) -> None:
        self.pick(index)

    def action_cursor(self, step: int) -> None:
        if self.items:
            self.cursor = (self.cursor + step) % len(self.items)

    def action_toggle_cursor(self) -> None:
        self.pick(self.cursor)

    def action_submit(self) -> None:
        if not self.locked:
            self.post_message(self.Submitted(self, self.value()))

    def _line(self, index: int) -> str:
        oid, label = self.items[index]
        chosen = oid in self.selected
        box = ("[x]" if chosen else "[ ]") if self.multi else ("(●)" if chosen else "( )")
        mark = ""
        if self.right is not None:
            mark = " ✔" if oid in self.right else (" ✘" if chosen else "")
        return f"{index + 1}  {box} {label}{mark}"

    def _paint(self) -> None:
        if not self.is_mounted:
            return
        for item in self.query(ChoiceItem):
            oid = self.items[item.index][0]
            chosen = oid in self.selected
            item.update(self._line(item.index))
            item.set_class(item.index == self.cursor and not self.locked, "-cursor")
            item.set_class(self.right is not None and oid in self.right, "-right")
            item.set_class(self.right is not None and chosen and oid not in self.right, "-wrong")

"""The answer widget that fits each question type, and the conversions between
what a widget holds and the response that `quizzer.bank.grading.grade` takes.

- single_choice, true_false, code_output with options: `ChoiceList` (number keys)
- multiple_choice: `ChoiceList(multi=True)`
- numeric, short_answer: `TextAnswer` (an Input; Enter submits)
- code_output without options, open (a draft): `OutputAnswer` (Ctrl+S submits)

Every widget ends in an `AnswerSubmitted` message. An empty answer is submitted as
None, which the practice screen refuses as it refuses a choice with nothing picked
(and the exam screen takes as "next"); a numeric answer that is not a number is not
submitted at all: the field says so and keeps the focus. Used by the practice and
exam screens.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, TextArea

from quizzer.bank.grading import parse_number
from quizzer.bank.models import (
    CodeOutput,
    MultipleChoice,
    Numeric,
    Open,
    Question,
    SingleChoice,
    TrueFalse,
    text_in,
)
from quizzer.tui.base import translate_bindings
from quizzer.tui.i18n import tr
from quizzer.tui.widgets.choices import ChoiceList

ANSWER_ID = "answer"


class AnswerSubmitted(Message):
    """The learner submitted `value` (a grading response) from the answer widget built
    for the question `question_id`: the answer is bound to that question, whatever
    the screen shows by the time the message is handled."""

    def __init__(self, value: Any, question_id: str | None = None) -> None:
        super().__init__()
        self.value = value
        self.question_id = question_id


def question_of_widget(widget: Widget) -> str | None:
    """The id of the question an answer widget was built for (see `build_answer`)."""
    qid = getattr(widget, "question_id", None)
    return qid if isinstance(qid, str) else None


class TextAnswer(Input):
    """One line of text or, with `number`, a number (in `unit`, and an arithmetic
    expression allowed: see `quizzer.bank.grading.parse_number`). Escape leaves the
    field so that letter keys (h for a hint, s to skip) reach the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "leave", show=False)]

    def __init__(
        self,
        value: str | None = None,
        placeholder: str = "",
        *,
        number: bool = False,
        unit: str | None = None,
        id: str | None = None,
    ) -> None:
        # Coming back to the box continues the answer; it does not select it all
        # (the next key would replace what was typed).
        super().__init__(value, placeholder, id=id, select_on_focus=False)
        self.number = number
        self.unit = unit

    def on_mount(self) -> None:
        self.cursor_blink = getattr(self.app, "cursor_blink", True)

    def action_leave(self) -> None:
        self.screen.set_focus(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value: str | None = event.value
        if not event.value.strip():
            value = None
        elif self.number and parse_number(event.value, self.unit) is None:
            # Grading it would only say "wrong" and schedule the question again.
            lang = getattr(self.app, "lang", "en")
            self.app.notify(tr("q.not_a_number", lang), severity="warning")
            return
        self.post_message(AnswerSubmitted(value, question_of_widget(self)))


class OutputAnswer(TextArea):
    """Several lines (what a snippet prints, or a draft answer). Ctrl+S submits; an
    empty answer is submitted as None unless it is `optional` (an open question's
    draft, which may stay empty)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "key.submit"),
        Binding("escape", "leave", show=False),
    ]

    optional: bool = False

    def on_mount(self) -> None:
        translate_bindings(self, getattr(self.app, "lang", "en"))
        self.cursor_blink = getattr(self.app, "cursor_blink", True)

    def action_leave(self) -> None:
        self.screen.set_focus(None)

    def action_submit(self) -> None:
        if not self.read_only:
            value = self.text if self.optional or self.text.strip() else None
            self.post_message(AnswerSubmitted(value, question_of_widget(self)))


def choice_items(question: Question, lang: str) -> list[tuple[str, str]] | None:
    """(id, label) pairs when the question is answered by picking, else None."""
    if isinstance(question, TrueFalse):
        return [("true", tr("q.true", lang)), ("false", tr("q.false", lang))]
    if isinstance(question, (SingleChoice, MultipleChoice)) or (
        isinstance(question, CodeOutput) and question.options
    ):
        return [(o.id, text_in(o.text, lang)) for o in question.options]
    return None


def picks_to_response(question: Question, picks: list[str]) -> Any:
    if isinstance(question, MultipleChoice):
        return picks
    if not picks:
        return None
    if isinstance(question, TrueFalse):
        return picks[0] == "true"
    return picks[0]


def response_to_picks(question: Question, response: Any) -> list[str]:
    if response is None:
        return []
    if isinstance(question, TrueFalse):
        return ["true" if response else "false"]
    if isinstance(response, list):
        return [str(r) for r in response]
    return [str(response)]


def response_text(question: Question, response: Any, lang: str) -> str:
    """A response as the screen shows it: picked options by their numbers (as they
    are picked), true/false in words, anything else as typed."""
    items = choice_items(question, lang)
    if items is None:
        return "" if response is None else str(response)
    numbers = {oid: str(n) for n, (oid, _) in enumerate(items, start=1)}
    picks = response_to_picks(question, response)
    if isinstance(question, TrueFalse):
        return ", ".join(label for oid, label in items if oid in picks)
    return ", ".join(numbers.get(p, p) for p in picks)


def right_picks(question: Question) -> set[str]:
    if isinstance(question, TrueFalse):
        return {"true" if question.answer else "false"}
    if isinstance(question, MultipleChoice):
        return set(question.answer)
    if isinstance(question, SingleChoice):
        return {question.answer}
    if isinstance(question, CodeOutput):
        return {o.id for o in question.options if text_in(o.text, "en") == question.answer}
    return set()


def build_answer(question: Question, lang: str, response: Any = None) -> Widget:
    """The answer widget for `question`, pre-filled with `response` if given, and
    remembering which question it belongs to (`question_of_widget`)."""
    widget = _answer_widget(question, lang, response)
    widget.question_id = question.id  # type: ignore[attr-defined]
    return widget


def _answer_widget(question: Question, lang: str, response: Any) -> Widget:
    items = choice_items(question, lang)
    if items is not None:
        return ChoiceList(
            items,
            multi=isinstance(question, MultipleChoice),
            selected=response_to_picks(question, response),
            id=ANSWER_ID,
        )
    if isinstance(question, (CodeOutput, Open)):
        area = OutputAnswer(
            "" if response is None else str(response),
            soft_wrap=True,
            id=ANSWER_ID,
            placeholder=tr("q.answer_placeholder", lang),
        )
        area.styles.height = 6
        area.optional = isinstance(question, Open)
        return area
    return TextAnswer(
        "" if response is None else str(response),
        placeholder=tr("q.answer_placeholder", lang),
        number=isinstance(question, Numeric),
        unit=question.unit if isinstance(question, Numeric) else None,
        id=ANSWER_ID,
    )


def current_value(widget: Widget, question: Question) -> Any:
    """What the widget holds now, as a grading response (None when empty)."""
    if isinstance(widget, ChoiceList):
        return picks_to_response(question, widget.value())
    if isinstance(widget, TextArea):
        return widget.text if widget.text.strip() else None
    if isinstance(widget, Input):
        return widget.value if widget.value.strip() else None
    return None


def lock(widget: Widget, question: Question, *, show_right: bool) -> None:
    """Make the widget read-only after the answer is in."""
    if isinstance(widget, ChoiceList):
        widget.freeze(right_picks(question) if show_right else None)
    elif isinstance(widget, TextArea):
        widget.read_only = True
    elif isinstance(widget, Input):
        widget.disabled = True


def hint_for_type(question: Question, lang: str) -> str:
    """The one-line instruction under the prompt."""
    if isinstance(question, Open):
        return tr("q.open_draft", lang)
    items = choice_items(question, lang)
    if items is not None:
        return tr("q.choose_many" if isinstance(question, MultipleChoice) else "q.choose", lang)
    if isinstance(question, CodeOutput):
        return tr("q.type_output", lang)
    return tr("q.type_answer", lang)

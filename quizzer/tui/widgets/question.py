"""The top half of a question, shared by the practice and exam screens: where it
sits in the session, its prompt (Markdown), the code of a `code_output` question
with syntax highlighting, and what to do.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.syntax import Syntax
from textual.widget import Widget
from textual.widgets import Markdown, Static

from quizzer.bank.models import CodeOutput, Question, text_in
from quizzer.tui.i18n import kind_name, topic_name, tr
from quizzer.tui.widgets.answers import hint_for_type


def code_view(code: str, *, dark: bool, id: str | None = None) -> Static:
    """Python source with syntax highlighting (Pygments, through Rich)."""
    syntax = Syntax(
        code.rstrip("\n"),
        "python",
        theme="monokai" if dark else "friendly",
        line_numbers=False,
        word_wrap=True,
        background_color="default",
    )
    view = Static(syntax, id=id, classes="code")
    return view


def question_header(
    question: Question, lang: str, index: int, total: int, *, bookmarked: bool = False
) -> str:
    parts = [
        tr("q.position", lang, i=index + 1, n=total),
        topic_name(question.topic, lang),
        kind_name(question.difficulty, lang),
        kind_name(question.type, lang),
    ]
    if bookmarked:
        parts.append(tr("q.bookmarked", lang))
    return " · ".join(parts)


def question_body(question: Question, lang: str, *, dark: bool) -> Iterator[Widget]:
    """Prompt, code (for code_output) and the one-line instruction."""
    yield Markdown(text_in(question.prompt, lang), id="prompt")
    if isinstance(question, CodeOutput):
        yield code_view(question.code, dark=dark, id="code")
    yield Static(hint_for_type(question, lang), id="how", classes="dim", markup=False)

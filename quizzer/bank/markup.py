"""What Markdown shows of a bank text, and where that differs from what the author wrote.

The practice UI renders prompts, explanations and model answers with Textual's
`Markdown` widget, which parses with markdown-it-py's "gfm-like" preset, and the hiring
paper writes prompts into `paper.md` as Markdown. Formulas and shapes written as prose
lose characters there: in `2*padding - dilation*(kernel - 1)` the two `*` become
emphasis, in `(*, in_features) -> (*, out_features)` too; `__init__` turns bold, a
line that starts with `+ b` becomes a list item, `<seq>` is read as an HTML tag,
`\\*` as an escape, and `model.to` as a link to http://model.to. The fix is always
the same: put formulas, shapes and code in backticks, which show what is inside as is.

`markdown_losses` finds those places; `bank validate` reports them
(`quizzer.bank.checks.check_markdown`) and the content tests run it over the whole
bank. `shown_text` is the plain text the widget shows, which a test compares with
Textual's own rendering. Pure: markdown-it-py, no Textual.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: The parser preset of Textual's Markdown widget (textual/widgets/_markdown.py uses
#: `MarkdownIt("gfm-like")` when no parser_factory is given, as in quizzer.tui).
PRESET = "gfm-like"

#: Text fields shown as Markdown: by the practice UI's Markdown widgets (prompt,
#: explanation, model answer) and in the hiring paper (prompt). The other text fields
#: (options, hints, rubric points, a variant's why) are shown as plain text.
MARKDOWN_FIELDS = frozenset({"prompt", "explanation", "model_answer"})

FIX = "put formulas, shapes and code in backticks (`...`) so that they show as written"

#: Characters that Markdown syntax can swallow; each must be shown as often as the
#: source has it outside syntax the author meant (code span backticks, list markers,
#: word emphasis).
NOTATION = "*_\\<>[]~&|#"

#: Emphasis an author means: `*biased*`, `**without**`, `**之前**`: words only, not
#: glued to a Latin letter or digit outside.
_WORDS = re.compile(r"\w(?:[\w '’-]*\w)?")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
#: What markdown-it reads as a backslash escape, and as an HTML entity.
_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SNIPPET = 60
_CONTEXT = 12

_BLOCKS = {
    "heading_open": "starts a heading (its # or underline is not shown)",
    "blockquote_open": "starts a quote (its > is not shown)",
    "hr": "becomes a horizontal rule",
    "table_open": "becomes a table (its | are not shown)",
    "html_block": "is read as HTML and not shown",
}


@dataclass(frozen=True)
class Loss:
    """A place where Markdown does not show what the author wrote: `snippet` (the
    source, on one line) and `what` happens to it."""

    snippet: str
    what: str

    def __str__(self) -> str:
        return f"`{self.snippet}` {self.what}"


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    return MarkdownIt(PRESET)


def _one_line(text: str, limit: int = _SNIPPET) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def shown_text(source: str) -> str:
    """The text the Markdown widget shows for `source`: one line per block, inline
    text with its whitespace collapsed, code as written (trailing space trimmed)."""
    parts: list[str] = []
    for token in parser().parse(source):
        if token.type == "inline":
            parts.append(" ".join(_inline(token)[0].split()))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content.rstrip())
    return "\n".join(parts)


@dataclass
class _Span:
    token: Token
    start: int
    end: int = -1


def _inline(token: Token) -> tuple[str, list[_Span], list[_Span]]:
    """The text an inline token shows (line breaks kept), its emphasis spans and its
    link spans, as positions in that text."""
    shown: list[str] = []
    size = 0
    open_spans: list[_Span] = []
    emphasis: list[_Span] = []
    links: list[_Span] = []
    for child in token.children or ():
        kind = child.type
        text = ""
        if kind in ("text", "code_inline"):
            text = child.content
        elif kind in ("softbreak", "hardbreak"):
            text = "\n"
        elif kind == "image":
            text = child.content
        elif kind.endswith("_open"):
            open_spans.append(_Span(child, size))
        elif kind.endswith("_close") and open_spans:
            span = open_spans.pop()
            span.end = size
            (links if kind == "link_close" else emphasis).append(span)
        shown.append(text)
        size += len(text)
    return "".join(shown), emphasis, links


def _meant(span: _Span, text: str) -> bool:
    """Whether emphasis looks meant: `*` or `**` around words, not inside a formula."""
    if span.token.markup not in ("*", "**"):
        return False  # `_` and `~~` in bank text are identifiers and paths, never style
    inner = text[span.start : span.end]
    before, after = text[span.start - 1 : span.start], text[span.end : span.end + 1]
    return bool(
        _WORDS.fullmatch(inner)
        and not _ASCII_ALNUM.fullmatch(before or " ")
        and not _ASCII_ALNUM.fullmatch(after or " ")
    )


def _snippet(text: str, start: int, end: int, middle: str | None = None) -> str:
    """`text[start:end]` (or `middle` in its place) with a few characters of the same
    line either side, on one line."""
    head = text[max(0, start - _CONTEXT) : start].split("\n")[-1]
    tail = text[end : end + _CONTEXT].split("\n")[0]
    if start > _CONTEXT and " " in head.strip():  # cut at a word, not inside one
        head = head[head.index(" ", len(head) - len(head.lstrip())) + 1 :]
    if end + _CONTEXT < len(text) and " " in tail.strip():
        tail = tail[: tail.rindex(" ", 0, len(tail.rstrip()))]
    body = text[start:end] if middle is None else middle
    return _one_line(head + body + tail, _SNIPPET + 2 * _CONTEXT)


def _inline_losses(token: Token) -> list[Loss]:
    text, emphasis, links = _inline(token)
    losses: list[Loss] = []
    meant = Counter[str]()
    for span in emphasis:
        markup = span.token.markup
        if _meant(span, text):
            meant.update(markup * 2)
            continue
        inner = _one_line(text[span.start : span.end], _SNIPPET)
        snippet = _snippet(text, span.start, span.end, f"{markup}{inner}{markup}")
        style = {"~~": "strikethrough", "**": "bold", "__": "bold"}.get(markup, "italics")
        losses.append(Loss(snippet, f"shows in {style}: its {markup} pairs disappear"))
    for span in links:
        inner = text[span.start : span.end]
        href = span.token.attrs.get("href", "")
        if span.token.markup == "linkify":
            losses.append(Loss(_one_line(inner), f"becomes a link to {href}"))
        elif span.token.markup == "autolink":
            losses.append(Loss(f"<{inner}>", "becomes a link: its < > disappear"))
        else:
            losses.append(
                Loss(f"[{_one_line(inner)}]({href})", "becomes a link: only the text shows")
            )
    for child in token.children or ():
        if child.type == "html_inline":
            losses.append(Loss(child.content, "is read as an HTML tag and not shown"))
        elif child.type == "image":
            losses.append(Loss(f"![{child.content}]", "is read as an image"))
    masked = _CODE_SPAN.sub(lambda m: " " * len(m.group()), token.content)
    for match in _ESCAPE.finditer(masked):
        losses.append(Loss(_snippet(token.content, *match.span()), f"shows as {match.group()[1]}"))
    for match in _ENTITY.finditer(masked):
        snippet = _snippet(token.content, *match.span())
        losses.append(Loss(snippet, f"is an HTML entity: shows as {html.unescape(match.group())}"))
    if losses:
        return losses
    # A net for what the rules above do not name (a backslash before a line break is
    # a hard break, for one): every notation character written must be shown.
    wrote = Counter(c for c in token.content if c in NOTATION)
    shows = Counter(c for c in text if c in NOTATION) + meant
    for char in NOTATION:
        if wrote[char] > shows[char]:
            at = max(0, masked.find(char))
            snippet = _snippet(token.content, at, at + 1)
            losses.append(Loss(snippet, f"loses {wrote[char] - shows[char]} of its {char}"))
    return losses


def markdown_losses(source: str) -> list[Loss]:
    """Every place where Markdown would not show `source` as written, block by block."""
    lines = source.splitlines()
    losses: list[Loss] = []
    paragraph_end: int | None = None
    tokens = parser().parse(source)
    for index, token in enumerate(tokens):
        first = lines[token.map[0]] if token.map and token.map[0] < len(lines) else ""
        if token.type in _BLOCKS:
            losses.append(Loss(_one_line(first), _BLOCKS[token.type]))
        elif token.type == "paragraph_open":
            paragraph_end = None if token.hidden or not token.map else token.map[1]
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            previous = tokens[index - 1].type if index else ""
            if previous == "paragraph_close" and token.map and paragraph_end == token.map[0]:
                losses.append(
                    Loss(
                        _one_line(first),
                        f"starts a list item, so its {(first.split() or ['-'])[0]} is not "
                        "shown (a wrapped line may not start with a list marker such as -, "
                        "+, * or 1.; to start a list, leave a blank line before it)",
                    )
                )
        elif token.type == "inline":
            losses.extend(_inline_losses(token))
    return losses

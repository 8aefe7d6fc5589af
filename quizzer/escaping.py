"""Escaping untrusted text for each place quizzer prints it: the terminal, Markdown and
XML, plus the one clean-up every string from a sandbox gets on its way in.

File names, candidate folder names, answers and everything a sandboxed worker sent are
untrusted. A name holding a terminal escape, a newline or a backtick must not be able
to forge a line of a report, and a lone surrogate must not make an output stream fail
to encode (losing the whole batch). Called by `quizzer.judge.wire` (`no_surrogates`),
the judge's and the screen's reports and the judge command. One helper per format:
`term` (one line of terminal text), `md_code` and `md_cell` (Markdown), `xml` (XML
text and attributes). No dependencies.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
#: Characters XML 1.0 cannot hold; C1 controls and carriage returns, which terminals
#: act on when a report is shown with `cat` (and parsers would turn \r into \n).
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: ASCII punctuation that starts Markdown or HTML syntax inside a line.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~!&#])")
_BACKTICKS = re.compile("`+")


def no_surrogates(text: str) -> str:
    """`text` with each lone surrogate (which no UTF-8 stream can write) as U+FFFD."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _visible(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{code:02x}")
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def term(text: object) -> str:
    """One line of terminal text: every character that is not printable (newlines,
    escapes, bidi overrides, surrogates) shown as a visible escape such as `\\x1b`."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _visible(c) for c in text)


def term_lines(text: str) -> list[str]:
    """Multi-line terminal text: one escaped line per line (tabs expanded)."""
    return [term(line.expandtabs(4)) for line in str(text).splitlines()]


def md_code(text: object, *, in_table: bool = False) -> str:
    """An inline code span that shows `text` as it is, whatever backticks, newlines or
    pipes it holds: a fence longer than any run of backticks inside, padded when the
    text starts or ends with one."""
    body = term(text) or " "
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end when both ends have one (unless the
    # span is all spaces); the padding keeps backticks at the ends apart from the fence.
    ends = body[0] + body[-1]
    if body.strip(" ") and ("`" in ends or ends == "  "):
        body = f" {body} "
    if in_table:  # GitHub splits table cells at a pipe even inside code
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def md_cell(text: object) -> str:
    """Text for a Markdown table cell or paragraph: Markdown and HTML syntax escaped,
    control characters made visible, lines joined with <br>."""
    lines = term_lines(str(text)) if text is not None else []
    return "<br>".join(_MD_SPECIAL.sub(r"\\\1", line) for line in lines)


def xml(text: object) -> str:
    """Text for an XML attribute or element: characters XML 1.0 cannot hold (and C1
    controls) shown as visible escapes; ElementTree escapes the rest (&, <, quotes)."""
    return _NOT_XML.sub(lambda m: _visible(m.group()), str(text))

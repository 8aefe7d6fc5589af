"""Unwrap Chinese (and Japanese) lines that were wrapped only to keep the YAML narrow.

Bank texts are written as YAML block scalars wrapped at about 90 columns. Markdown
turns each line break inside a paragraph into a space, which is right between English
words and wrong between two Chinese characters: `一个永远到达不了参数的 反向传播`.
`join_cjk_lines` removes exactly those breaks and leaves every other line break alone.

Called by `quizzer.bank.models.text_in`, through which the practice UI, the hiring
paper, the reports and `bank show` read every bank text. Pure: only `re`.
"""

from __future__ import annotations

import re

#: Characters that are set without spaces between them: CJK punctuation, kana, CJK
#: ideographs (with extension A and the compatibility block) and the full-width forms
#: (，：；（） and friends).
CJK_CHARS = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
#: Punctuation that Chinese and English text share; a break next to one of these is
#: joined only when the character on the other side is CJK.
SHARED_PUNCTUATION = "“”‘’…—·"

_CJK = re.compile(f"[{CJK_CHARS}]")
_WIDE = re.compile(f"[{CJK_CHARS}{SHARED_PUNCTUATION}]")
#: A fenced code block's opening or closing line: up to three spaces, then ``` or ~~~.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
#: Emphasis delimiters at the end and the start of a line (`，\n**不得**使用`): what
#: shows on either side of the break is the character beyond them.
_CLOSING = re.compile(r"(?<=\S)[*_]+$")
_OPENING = re.compile(r"^[*_]+(?=\S)")
#: From four spaces of indentation a line may be an indented code block.
_CODE_INDENT = 4


def is_cjk(char: str) -> bool:
    """Whether `char` is a CJK character or CJK punctuation."""
    return bool(_CJK.fullmatch(char))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _joins(before: str, after: str) -> bool:
    """Whether the line break between the lines `before` and `after` (of a paragraph
    outside code) falls between two CJK characters and means nothing."""
    text = before.rstrip(" \t")
    if len(before) - len(text) >= 2 or not text or not after.strip():
        return False  # two trailing spaces are a hard line break: the author's
    if _indent(before) >= _CODE_INDENT or _indent(after) >= _CODE_INDENT:
        return False  # maybe an indented code block; never rewrite code
    if _HEADING.match(before):
        return False  # a heading is one line; the next line starts a paragraph
    last = _CLOSING.sub("", text)[-1]
    first = _OPENING.sub("", after.lstrip(" \t"))[0]
    return bool(
        _WIDE.fullmatch(last) and _WIDE.fullmatch(first) and (is_cjk(last) or is_cjk(first))
    )


def _closes(line: str, fence: str) -> bool:
    """Whether `line` closes a code block opened with `fence`: the same character, at
    least as many, and nothing after them."""
    closing = _FENCE.match(line)
    return bool(
        closing
        and closing.group(1)[0] == fence[0]
        and len(closing.group(1)) >= len(fence)
        and not line[closing.end() :].strip()
    )


def join_cjk_lines(text: str) -> str:
    """`text` with every single line break between two CJK characters removed.

    A break stays when either side is not CJK (Markdown shows it as the space that
    Latin words need), after a line that ends in two spaces (a hard break), between
    paragraphs (a blank line), before a line that starts a list item or any other
    block (such lines start with Markdown syntax, not with a CJK character), after a
    heading, inside fenced code blocks and next to lines indented as code. Leading
    spaces of the joined line (a list item's continuation indent) go with the break.
    """
    if not _CJK.search(text):
        return text
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        if fence is not None:
            out.append(line)
            if _closes(line, fence):
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            out.append(line)
        elif out and _joins(out[-1], line):
            out[-1] = out[-1].rstrip(" \t") + line.lstrip(" \t")
        else:
            out.append(line)
    return "\n".join(out)


def count_cjk_breaks(text: str) -> int:
    """How many line breaks `join_cjk_lines` removes from `text`."""
    return text.count("\n") - join_cjk_lines(text).count("\n")

"""Bank text shown as Markdown shows every character its author wrote.

The practice UI renders prompts, explanations and model answers with Textual's
Markdown widget (markdown-it-py, "gfm-like"). Maths written as prose used to lose
characters there: `floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1`
showed as `floor((in + 2padding - dilation(kernel - 1) - 1) / stride) + 1` and
`(*, in_features)` as `(, in_features)`. `quizzer.bank.markup.markdown_losses` finds
such places; these tests pin what it finds, prove that its idea of what Textual shows
is Textual's own, run it over the whole bundled bank, and check that `bank validate`
tells authors about it.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock, MarkdownFence

from quizzer.bank.checks import text_fields
from quizzer.bank.loader import check_paths
from quizzer.bank.locate import bundled_bank_dir
from quizzer.bank.markup import FIX, MARKDOWN_FIELDS, markdown_losses, shown_text
from quizzer.bank.models import text_in, verbatim_in
from quizzer.bank.problems import display_path
from quizzer.screen.paper_files import option_md

# --- what is lost -------------------------------------------------------------------


def whats(source: str) -> list[str]:
    return [str(loss) for loss in markdown_losses(source)]


def test_a_formula_with_two_stars_turns_italic():
    formula = "out = floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1"
    assert (
        shown_text(formula)
        == "out = floor((in + 2padding - dilation(kernel - 1) - 1) / stride) + 1"
    )
    assert whats(formula) == [
        "`+ 2*padding - dilation*(kernel -` shows in italics: its * pairs disappear"
    ]


def test_a_shape_with_a_star_for_any_leading_dimensions_turns_italic():
    text = "(*, in_features) -> (*, out_features)"
    assert shown_text(text) == "(, in_features) -> (, out_features)"
    assert len(whats(text)) == 1


def test_products_turn_italic():
    assert whats("(1*2, 0*4, 1*6)") == ["`(1*2, 0*4, 1*6)` shows in italics: its * pairs disappear"]
    assert len(whats("fc1: 10*5 + 5 = 55; fc2: 5*3 + 3 = 18")) == 1


def test_dunder_names_turn_bold():
    assert shown_text("the missing __init__ call") == "the missing init call"
    assert whats("the missing __init__ call") == [
        "`the missing __init__ call` shows in bold: its __ pairs disappear"
    ]


def test_a_wrapped_line_that_starts_with_plus_becomes_a_list_item():
    text = "each output pixel is W @ x_pixel\n+ b with W of shape (C_out, C_in)"
    assert "+" not in shown_text(text)
    [what] = whats(text)
    assert what.startswith("`+ b with W of shape (C_out, C_in)` starts a list item, so its +")
    assert "leave a blank line before it" in what


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("scores of shape (B, <seq>, D)", "`<seq>` is read as an HTML tag and not shown"),
        ("see <https://pytorch.org>", "`<https://pytorch.org>` becomes a link: its < > disappear"),
        ("x[0](y) indexes", "`[0](y)` becomes a link: only the text shows"),
        ("Module.to moves", "`Module.to` becomes a link to http://Module.to"),
        ("a \\* b", "`a \\* b` shows as *"),
        ("a &lt; b", "`a &lt; b` is an HTML entity: shows as <"),
        ("a ~~b~~ c", "`a ~~b~~ c` shows in strikethrough: its ~~ pairs disappear"),
        ("text\n# comment", "`# comment` starts a heading (its # or underline is not shown)"),
        ("x\n> 0 here", "`> 0 here` starts a quote (its > is not shown)"),
        ("a | b\n--|--", "`a | b` becomes a table (its | are not shown)"),
        ("line\\\nbreak", "`line\\` loses 1 of its \\"),
    ],
)
def test_every_kind_of_syntax_that_hides_characters_is_named(text, found):
    assert found in whats(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("`out = floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1`"),
        pytest.param("`(*, in_features) -> (*, out_features)`", id="shape-in-code"),
        pytest.param("`nn.Module.__init__` and `Module.to`", id="names-in-code"),
        pytest.param("32 * 26 * 26 = 21632", id="spaced-products"),
        pytest.param("in_features and requires_grad", id="intraword-underscores"),
        pytest.param("the *biased* variance, **without** `nn.LayerNorm`", id="word-emphasis"),
        pytest.param("在 softmax **之前**设为 -inf", id="chinese-emphasis"),
        pytest.param("Rules:\n\n- one\n- two\n\n1. three", id="lists-after-a-blank-line"),
        pytest.param("```python\nx = a*b*c  # <tag> __init__\n```", id="fenced-code"),
        pytest.param("x < y and y > z", id="comparisons"),
    ],
)
def test_text_that_shows_as_written_passes(text):
    assert whats(text) == []


def test_the_fix_says_backticks():
    assert "backticks" in FIX


# --- the model is Textual's own rendering -------------------------------------------


def textual_shows(sources: list[str]) -> list[str]:
    """What Textual's Markdown widget builds for each source, as plain text."""

    def plain(blocks: list[MarkdownBlock]) -> list[str]:
        out: list[str] = []
        for block in blocks:
            if isinstance(block, MarkdownFence):
                out.append(block.code)
            elif block._content.plain:
                out.append(block._content.plain)
            out += plain(block._blocks)
        return out

    async def build() -> list[str]:
        async with App().run_test():  # a fence needs a running app
            widget = Markdown()
            return [" ".join(plain(widget._build_from_source(s))) for s in sources]

    return asyncio.run(build())


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def bundled():
    """(entries, problems) of `bank validate` on the bundled bank."""
    return check_paths([bundled_bank_dir()])


def markdown_texts(entries):
    """(entry, field, language, text) for every text shown as Markdown."""
    for entry in entries:
        for sub, text in text_fields(entry.question):
            if sub[0] in MARKDOWN_FIELDS:
                langs = ("en",) if isinstance(text, str) else tuple(text)
                for lang in langs:
                    yield entry, sub, lang, verbatim_in(text, lang)


@pytest.mark.slow
def test_shown_text_is_what_textual_shows_for_the_whole_bank_and_the_examples(bundled):
    samples = [
        "out = floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1",
        "(*, in_features)\n+ b and __init__ with <seq> and \\* and &lt; and Module.to",
        "the *biased* variance\n\n- item\n\n```\ncode *x*\n```",
    ]
    sources = samples + [text for *_, text in markdown_texts(bundled[0])]
    sources += [text_in(text, "zh") for text in sources]
    theirs = textual_shows(sources)
    differ = [
        (s, t) for s, t in zip(sources, theirs, strict=True) if _words(shown_text(s)) != _words(t)
    ]
    assert not differ, differ[:3]


# --- the whole bank -----------------------------------------------------------------


@pytest.mark.slow
def test_every_markdown_text_in_the_bank_shows_as_written(bundled):
    found = []
    for entry, sub, lang, text in markdown_texts(bundled[0]):
        for loss in markdown_losses(text):
            where = entry.doc.value_pos((*entry.path, *sub, lang))
            field = ".".join(map(str, sub))
            found.append(
                f"{display_path(entry.file)}:{where.line} [{entry.question.id}] "
                f"{field}.{lang}: {loss}"
            )
    assert not found, f"Markdown would change these texts ({FIX}):\n" + "\n".join(found)


def test_bank_validate_finds_nothing_of_this_kind_in_the_bank(bundled):
    assert not [p for p in bundled[1] if "Markdown does not show" in p.message]


@pytest.mark.slow
def test_every_option_shows_as_written_in_the_paper(bundled):
    """Options are plain text in the UI; paper.md writes them as Markdown list items."""
    differ = []
    for entry in bundled[0]:
        for option in getattr(entry.question, "options", ()):
            for lang in ("en", "zh"):
                want = f"{option.id}: {text_in(option.text, lang)}"
                if _words(shown_text(option_md(option, lang))) != _words(want):
                    differ.append((entry.question.id, option.id, lang))
    assert not differ


def test_an_option_is_escaped_only_when_markdown_would_change_it():
    from quizzer.bank.models import Option

    plain = Option(id="a", text={"en": "Call model(x)", "zh": "调用 model(x)"})
    dunder = Option(id="b", text="the slow __call__")
    assert option_md(plain, "zh") == "- **a**: 调用 model(x)"
    assert option_md(dunder, "en") == "- **b**: the slow \\_\\_call\\_\\_"
    assert shown_text(option_md(dunder, "en")) == "b: the slow __call__"


# --- bank validate tells authors ----------------------------------------------------

BROKEN = """\
questions:
  - id: conv-size
    type: numeric
    topic: cnn-arithmetic
    difficulty: easy
    prompt: {en: "Output size?", zh: "输出尺寸？"}
    answer: 112
    explanation:
      en: |
        out = floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1
      zh: |
        输出 = floor((输入 + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1
    hints:
      - {en: "out = 2*p + k*s, plain text in the UI", zh: "提示 2*p + k*s"}
"""


def test_bank_validate_reports_the_file_line_question_field_snippet_and_fix(run_cli, tmp_path):
    bank = tmp_path / "conv.yaml"
    bank.write_text(BROKEN, encoding="utf-8")
    result = run_cli("bank", "validate", bank)
    assert result.exit_code == 2
    lines = [line for line in result.stdout.splitlines() if "Markdown" in line]
    assert len(lines) == 2, result.stdout  # en and zh; hints are plain text, not Markdown
    en = next(line for line in lines if "explanation.en" in line)
    assert en.endswith(
        "conv.yaml:9:11: [conv-size] explanation.en: Markdown does not show this en text "
        "as written: `+ 2*padding - dilation*(kernel -` shows in italics: its * pairs "
        f"disappear; {FIX}"
    )
    fixed = BROKEN.replace(
        "out = floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1",
        "`out = floor((in + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1`",
    ).replace(
        "输出 = floor((输入 + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1",
        "`输出 = floor((输入 + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1`",
    )
    bank.write_text(fixed, encoding="utf-8")
    assert run_cli("bank", "validate", bank).exit_code == 0

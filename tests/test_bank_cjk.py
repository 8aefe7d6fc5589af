"""Chinese lines wrapped in the YAML are joined without a space when shown.

Markdown turns a line break inside a paragraph into a space; between two Chinese
characters that space is a typo (`一个永远到达不了参数的 反向传播`). `join_cjk_lines`
removes those breaks and no others; `text_in`, which every renderer uses (the practice
UI, the hiring paper, the reports, `bank show`), applies it. The last tests run the
whole bundled bank through Markdown and look for spaces the author never wrote.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizzer.bank import load_bank
from quizzer.bank.checks import text_fields
from quizzer.bank.cjk import CJK_CHARS, count_cjk_breaks, join_cjk_lines
from quizzer.bank.markup import shown_text
from quizzer.bank.models import Question, text_in, verbatim_in

# --- what is joined -----------------------------------------------------------------


def test_a_break_between_two_chinese_characters_is_removed():
    assert (
        join_cjk_lines("一个永远到达不了参数的\n反向传播。") == "一个永远到达不了参数的反向传播。"
    )


def test_every_wrapped_line_of_a_paragraph_is_joined():
    text = "第一行\n第二行\n第三行。\n"
    assert join_cjk_lines(text) == "第一行第二行第三行。\n"


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("逗号，\n然后", "逗号，然后"),  # full-width punctuation before the break
        ("括号（注意\n）结束", "括号（注意）结束"),  # and after it
        ("句号。\n下一句", "句号。下一句"),
        ("“一半”\n填充", "“一半”填充"),  # curly quotes next to a CJK character
        ("省略……\n继续", "省略……继续"),
        ("ひらがな\nカタカナ", "ひらがなカタカナ"),  # kana
    ],
)
def test_cjk_punctuation_and_kana_count_as_cjk(text, joined):
    assert join_cjk_lines(text) == joined


def test_a_list_items_continuation_line_is_joined_without_its_indent():
    assert join_cjk_lines("- 第一条很长，\n  继续写完。") == "- 第一条很长，继续写完。"


def test_emphasis_at_either_end_of_the_break_is_looked_through():
    assert join_cjk_lines("继承 `Module`，\n**不得**使用") == "继承 `Module`，**不得**使用"
    assert join_cjk_lines("这是**重点**\n内容") == "这是**重点**内容"


def test_a_single_trailing_space_goes_with_the_break():
    assert join_cjk_lines("中文 \n中文") == "中文中文"


# --- what is kept -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("使用\nReLU 激活", id="cjk-then-latin"),
        pytest.param("使用 ReLU\n激活", id="latin-then-cjk"),
        pytest.param("调用 `zero_grad()`\n清零", id="code-span-then-cjk"),
        pytest.param("第一段。\n\n第二段。", id="paragraph-break"),
        pytest.param("要点：\n- 第一\n- 第二", id="list-items"),
        pytest.param("步骤：\n1. 第一\n2. 第二", id="ordered-list-items"),
        pytest.param("# 标题\n正文", id="after-a-heading"),
        pytest.param("中文  \n硬换行", id="hard-break"),
        pytest.param("    中文代码\n    第二行", id="indented-code"),
        pytest.param("```python\n# 中文注释\n# 第二行\n```", id="fence"),
        pytest.param("~~~\n中文\n中文\n~~~", id="tilde-fence"),
        pytest.param("said “hi”\n“there”", id="shared-quotes-without-cjk"),
        pytest.param("中文\n* 列表", id="star-list-item"),
        pytest.param("中文\n***", id="thematic-break"),
    ],
)
def test_breaks_that_mean_something_are_kept(text):
    assert join_cjk_lines(text) == text


def test_joining_resumes_after_a_fence_closes():
    text = "代码：\n\n```\n中文\n中文\n```\n\n之后\n继续"
    assert join_cjk_lines(text) == "代码：\n\n```\n中文\n中文\n```\n\n之后继续"


def test_a_longer_fence_is_not_closed_by_a_shorter_one():
    text = "````\n中文\n```\n中文\n````"
    assert join_cjk_lines(text) == text


@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF)))
def test_text_without_cjk_is_returned_unchanged(text):
    assert join_cjk_lines(text) is text


@given(st.lists(st.sampled_from([*"中文，。 \n-`#a1*", "```", "\n\n", "  "])).map("".join))
def test_joining_is_idempotent_and_only_removes_line_breaks(text):
    once = join_cjk_lines(text)
    assert join_cjk_lines(once) == once
    assert re.sub(r"\s", "", once) == re.sub(r"\s", "", text)
    assert once.count("\n") <= text.count("\n")


def test_text_in_joins_and_verbatim_in_does_not():
    text = {"en": "wrapped\nEnglish", "zh": "换行的\n中文"}
    assert text_in(text, "zh") == "换行的中文"
    assert text_in(text, "en") == "wrapped\nEnglish"
    assert verbatim_in(text, "zh") == "换行的\n中文"


def test_count_cjk_breaks():
    assert count_cjk_breaks("一\n二\n\n三\nfour") == 1


# --- the whole bank -----------------------------------------------------------------

_CJK = f"[{CJK_CHARS}]"
#: Two CJK characters with white space between them, as a renderer shows it.
_SPACED = re.compile(f"({_CJK})[ \t]+(?={_CJK})")


@pytest.fixture(scope="module")
def bank_texts() -> list[tuple[Question, str, str, str]]:
    """(question, field, language, text as the YAML gives it) for every text."""
    bank = load_bank(env={})
    out = []
    for question in bank.questions:
        for sub, text in text_fields(question):
            field = ".".join(map(str, sub))
            for lang in ("en", "zh"):
                out.append((question, field, lang, verbatim_in(text, lang)))
    return out


def _stray_spaces(source: str, shown: str) -> list[str]:
    """Each CJK-space-CJK in `shown` that `source` does not have on one line."""
    stray = []
    for match in _SPACED.finditer(shown):
        a, b = match.group(1), shown[match.end()]
        if not re.search(re.escape(a) + "[ \t]+" + re.escape(b), source):
            stray.append(shown[max(0, match.start() - 6) : match.end() + 6])
    return stray


def test_markdown_shows_no_space_between_chinese_characters_the_author_did_not_write(
    bank_texts,
):
    found = []
    for question, field, lang, source in bank_texts:
        for snippet in _stray_spaces(source, shown_text(text_in(source, lang))):
            found.append(f"[{question.id}] {field}.{lang}: {snippet!r}")
    assert not found, "spaces between Chinese characters:\n" + "\n".join(found)


def test_the_bank_check_would_see_the_bug(bank_texts):
    # Guards the test above: without joining, the bank's wrapped Chinese shows spaces.
    stray = sum(
        len(_stray_spaces(source, shown_text(source)))
        for _, _, lang, source in bank_texts
        if lang == "zh"
    )
    breaks = sum(count_cjk_breaks(source) for _, _, lang, source in bank_texts if lang == "zh")
    assert stray >= 400
    assert breaks >= stray


def test_english_bank_text_is_shown_as_written(bank_texts):
    assert all(text_in(source, "en") == source for _, _, lang, source in bank_texts if lang == "en")


# --- the hiring paper ---------------------------------------------------------------

PAPER_BANK = """\
questions:
  - id: wrapped-zh
    type: single_choice
    topic: autograd
    difficulty: easy
    prompt:
      en: |
        A backward pass that never
        reaches the parameters?
      zh: |
        一个永远到达不了参数的
        反向传播说明什么？
    options:
      - id: a
        text: {en: "A detached tensor", zh: "某处用了\\n`detach()`，图\\n断开了"}
      - id: b
        text: {en: "Nothing", zh: "什么也\\n说明不了"}
    answer: a
    explanation: {en: "detach() cuts the graph.", zh: "detach() 会切断计算图。"}
"""

PAPER_SCREEN = """\
title: 中文试卷
seed: 1
banks: [bank]
lang: {lang}
threshold: {{percent: 50}}
sections:
  - id: concepts
    title: 概念
    questions: [wrapped-zh]
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_paper_joins_wrapped_chinese_and_keeps_english_lines(tmp_path, lang):
    from quizzer.screen.load import load_screen
    from quizzer.screen.paper import build_paper
    from quizzer.screen.paper_files import paper_markdown

    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "q.yaml").write_text(PAPER_BANK, encoding="utf-8")
    screen = tmp_path / "screen.yaml"
    screen.write_text(PAPER_SCREEN.format(lang=lang), encoding="utf-8")
    loaded = load_screen(screen)
    paper = paper_markdown(loaded, build_paper(loaded, "ada"))
    if lang == "zh":
        assert "一个永远到达不了参数的反向传播说明什么？" in paper
        assert "- **a**: 某处用了\n`detach()`，图断开了" in paper  # CJK-Latin breaks stay
        assert "- **b**: 什么也说明不了" in paper
        assert not _stray_spaces(PAPER_BANK, shown_text(paper))
    else:
        assert "A backward pass that never\nreaches the parameters?" in paper

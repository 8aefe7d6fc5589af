"""The bundled bank keeps what issue 16 fixed.

- No text leans on "the seed": the first questions came from a widely shared interview
  article that the project called "the seed article", but a learner never sees it, and
  in a PyTorch quiz "the seed" reads as a random seed. A prompt that discusses the
  article says so in words that stand alone ("a widely shared interview article
  says ...", "一篇流传较广的面试文章说……"). Random seeds (`torch.manual_seed`, 随机种子)
  are of course fine.
- No two questions are near-duplicates (the detector of `quizzer bank validate`).
- Every topic with a floor has at least that many questions, and the totals reach
  their goals (`quizzer/bank/targets.py`, shown by `quizzer bank stats`).
- Every `code_output` key is what its snippet prints (`quizzer bank verify`, slow).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizzer.bank import Bank, load_bank
from quizzer.bank.checks import check_near_duplicates, text_fields
from quizzer.bank.loader import load_paths
from quizzer.bank.models import CodeOutput, Coding, Question
from quizzer.bank.problems import ProblemSink

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "questions"

#: "the seed" meaning the interview article: its possessive, the seed followed by what
#: an article does or has, and "seed article" style compounds. "the seed" of a random
#: number generator (set the seed, the same seed, the seed is 0) is not matched.
ARTICLE_SEED_EN = re.compile(
    r"\bthe\s+seed's\b(?!\s+value)"
    r"|\bthe\s+seed\s+(?:article|interview|says|said|answers|answered|describes|described"
    r"|calls|lists|conflates|claims|trains|then|got|gives|rates|compares|table|model|code"
    r"|version|wording|advice|comparison|answer|claim)\b"
    r"|\bseed[- ](?:article|interview|question|questions|model|models|code|cnn|table|answer)\b",
    re.IGNORECASE,
)
#: 种子 meaning the article: 种子文章, 种子题, 种子模型, 种子代码 ... but not 随机种子,
#: 设种子, 打乱的种子 (random seeds).
ARTICLE_SEED_ZH = re.compile(
    r"种子(?:文章|题|模型|代码|网络|表格?|版本|原文"
    r"|的(?:表|模型|代码|回答|说法|建议))"
)


def article_seed(text: str) -> str | None:
    """The first words that call the interview article "the seed", or None."""
    found = ARTICLE_SEED_EN.search(text) or ARTICLE_SEED_ZH.search(text)
    return found.group(0) if found else None


@pytest.fixture(scope="module")
def bundled() -> Bank:
    return load_bank([BUNDLED], include_bundled=False, env={})


def learner_texts(question: Question, bank: Bank) -> Iterator[tuple[str, str]]:
    """Every text a learner may read, with a name for messages: each language of each
    text field, and a coding task's starter file."""
    for path, text in text_fields(question):
        name = ".".join(str(p) for p in path)
        values = {"en": text} if isinstance(text, str) else text
        for lang, value in values.items():
            yield f"{name} ({lang})", value
    if isinstance(question, Coding):
        starter = bank.resolve(question.id, question.starter)
        yield "starter", starter.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "The seed's training step is: forward, compute loss.",
        "The seed article says static graphs are fixed at compile time.",
        "The seed says: using no_grad caches intermediate results.",
        "The seed lists easy to migrate as an advantage.",
        "Run the seed's SimpleCNN exactly as written.",
        "This is the practical limit of static graphs the seed's table alludes to.",
        "种子文章说：“静态图在编译时确定。”",
        "把种子模型的两个 Linear 层合并成一个。",
        "种子代码随后调用 adaptive_avg_pool2d。",
    ],
)
def test_the_article_sense_of_seed_is_caught(text: str) -> None:
    assert article_seed(text), text


@pytest.mark.parametrize(
    "text",
    [
        "torch.manual_seed(0) sets the seed for the CPU and every CUDA device.",
        "With the same seed, torch.randn returns the same numbers.",
        "The shuffle is seeded with seed + epoch, and the seed is identical on every rank.",
        "Set the seed to 0, then build the model.",
        "Fixing the seed value alone does not make cuDNN deterministic.",
        "A random seed per worker comes from the base seed of the DataLoader.",
        "每个 epoch 都使用相同的排列，因为打乱的种子是 seed + epoch。",
        "它用 `seed + epoch` 给一个生成器设种子。",
        "设置随机种子并不能让 cuDNN 的结果确定。",
    ],
)
def test_random_seeds_are_allowed(text: str) -> None:
    assert article_seed(text) is None, text


def test_no_text_calls_the_interview_article_the_seed(bundled: Bank) -> None:
    found = [
        f"{question.id}: {name}: {hit!r}"
        for question in bundled.questions
        for name, text in learner_texts(question, bundled)
        if (hit := article_seed(text))
    ]
    assert not found, (
        "write 'a widely shared interview article says ...' (zh: 一篇流传较广的面试文章说……) "
        "or quote the excerpt, not 'the seed':\n" + "\n".join(found)
    )


@pytest.mark.slow
def test_the_bundled_bank_has_no_near_duplicates() -> None:
    entries = load_paths([BUNDLED], ProblemSink(stop_at_first=True))
    sink = ProblemSink(stop_at_first=False)
    check_near_duplicates(entries, sink)
    assert not sink.problems, "\n".join(str(p) for p in sink.problems)


@given(st.text(alphabet="abc de的是", max_size=60), st.text(alphabet="abc de的是", max_size=60))
def test_the_near_duplicate_bound_is_sequence_matchers_quick_ratio(a: str, b: str) -> None:
    """The check counts each question's characters once instead of asking difflib for
    `quick_ratio` per pair: the bound, and so the questions it lets through, must be
    the same."""
    from collections import Counter

    from quizzer.bank.checks import _overlap

    want = difflib.SequenceMatcher(None, a, b, autojunk=False).quick_ratio()
    assert _overlap(Counter(a), Counter(b)) == pytest.approx(want, abs=1e-12)


def test_the_bundled_bank_meets_its_floors_and_targets(bundled: Bank) -> None:
    from quizzer.bank.targets import topic_targets, total_targets

    questions = bundled.questions
    short = [t for t in [*topic_targets(questions), *total_targets(questions)] if not t.met]
    assert not short, ", ".join(f"{t.name}: {t.count} of {t.goal}" for t in short)


@pytest.mark.slow
def test_every_code_output_key_is_what_its_snippet_prints(bundled: Bank) -> None:
    from quizzer.bank.snippets import verify_snippets

    snippets = [q.id for q in bundled.questions if isinstance(q, CodeOutput)]
    assert snippets
    problems = verify_snippets(bundled, only=snippets)
    assert not problems, "\n".join(str(p) for p in problems)

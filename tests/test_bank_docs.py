"""The examples in docs/bank.md and README.md are copy-paste valid: every YAML block
is written to a file and validated, with both languages required."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quizzer.bank import load_bank, validate_paths
from quizzer.bank.grading import grade

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.DOTALL | re.MULTILINE)


def yaml_blocks(doc: str) -> list[str]:
    return BLOCK.findall((REPO / doc).read_text(encoding="utf-8"))


DOC_BLOCKS = [("docs/bank.md", i, b) for i, b in enumerate(yaml_blocks("docs/bank.md"))]
README_BLOCKS = [("README.md", i, b) for i, b in enumerate(yaml_blocks("README.md"))]


def test_the_docs_show_every_question_type():
    text = "".join(block for _, _, block in DOC_BLOCKS)
    for kind in (
        "single_choice",
        "multiple_choice",
        "true_false",
        "numeric",
        "short_answer",
        "code_output",
        "open",
        "coding",
    ):
        assert f"type: {kind}\n" in text, kind


@pytest.mark.parametrize(
    ("doc", "index", "block"),
    DOC_BLOCKS + README_BLOCKS,
    ids=[f"{d}#{i}" for d, i, _ in DOC_BLOCKS + README_BLOCKS],
)
def test_each_yaml_block_is_a_valid_bank_file(tmp_path, doc, index, block):
    path = tmp_path / "example.yaml"
    path.write_text(block, encoding="utf-8")
    for rel in re.findall(r"^\s*(?:-\s+)?(?:starter|reference|path):\s*(\S+\.py)", block, re.M):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("# stub\n")
    problems = validate_paths([path], require_translations=True)
    assert problems == [], "\n".join(str(p) for p in problems)
    bank = load_bank([path], include_bundled=False, env={})
    for question in bank.questions:
        if question.type in ("single_choice", "true_false", "numeric", "code_output"):
            assert grade(question, question.answer).correct  # type: ignore[union-attr]

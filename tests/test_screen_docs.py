"""The examples in docs/screen.md are copy-paste valid: the screen file loads against
the example banks, the answers file reads with the bank's YAML reader, and the result
document follows the shipped JSON Schema. The README names the screen commands."""

from __future__ import annotations

import json
import re

import jsonschema

from quizzer.bank.yamlread import parse
from quizzer.screen.load import load_screen
from quizzer.screen.results import SCHEMA_PATH
from tests.screen_fixtures.support import REPO

DOC = (REPO / "docs" / "screen.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC, re.DOTALL | re.MULTILINE)


def test_the_screen_example_is_a_valid_screen(tmp_path):
    [screen] = [b for b in blocks("yaml") if "\ntitle:" in "\n" + b]
    (tmp_path / "private-bank").symlink_to(REPO / "examples" / "screens" / "private-bank")
    (tmp_path / "screen.yaml").write_text(screen, encoding="utf-8")
    loaded = load_screen(tmp_path / "screen.yaml")
    assert [s.id for s in loaded.screen.sections] == ["concepts", "coding"]


def test_the_answers_example_reads(tmp_path):
    [answers] = [b for b in blocks("yaml") if "candidate:" in b]
    data = parse(answers).data
    assert data["candidate"] == "alice"
    assert data["answers"]["q2"] == ["a", "c"]
    assert data["answers"]["q5"] == "tensor([2., 4.])\nTrue\n"


def test_the_result_example_follows_the_schema():
    [example] = blocks("json")
    jsonschema.validate(json.loads(example), json.loads(SCHEMA_PATH.read_text()))


def test_the_readme_has_the_screen_section_before_the_practice_ui():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.index("## The hiring screen") < readme.index("## The practice UI")
    section = readme[readme.index("## The hiring screen") : readme.index("## The practice UI")]
    for command in ("screen validate", "screen paper", "screen grade", "screen review", "exam"):
        assert f"quizzer {command}" in section
    assert "docs/screen.md" in section

"""Fuzzing the loader: random bytes, random YAML structures, mutated questions, huge
files, non-UTF-8, alias bombs and deep nesting always end in a clean, positioned
`BankError` (or a valid bank), never another exception and never a hang."""

from __future__ import annotations

import copy
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzer.bank import load_bank, validate_paths
from quizzer.bank.loader import MAX_PROBLEMS_PER_FILE
from quizzer.bank.yamlread import MAX_BYTES, YamlReadError, decode, parse
from quizzer.errors import BankError

GOOD = Path(__file__).parent / "bank_fixtures" / "good" / "concepts.yaml"
GOOD_QUESTIONS: list[dict[str, Any]] = yaml.safe_load(GOOD.read_text(encoding="utf-8"))["questions"]

#: What YAML counts as a line break.
BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def check_file_bytes(data: bytes) -> None:
    """The loader's contract on arbitrary file contents."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        problems = validate_paths([path], require_translations=False)
        lines = len(BREAKS.split(data.decode("utf-8", "replace")))
        for problem in problems:
            assert 0 <= problem.line <= lines, problem
            assert problem.column >= 0
            assert problem.message
        try:
            bank = load_bank([path], include_bundled=False, env={})
        except BankError as exc:
            assert str(exc)
        else:
            assert len(bank) >= 1


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=25,
)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data):
    check_file_bytes(data)


@FUZZ
@given(
    st.text(alphabet=st.sampled_from(list("questions:-[]{}&*!|>'\"#?,\n\t :id0a")), max_size=200)
)
def test_random_yaml_punctuation(text):
    check_file_bytes(text.encode("utf-8"))


@pytest.mark.slow
@FUZZ
@given(structures)
def test_random_yaml_structures(value):
    check_file_bytes(yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))


@FUZZ
@given(st.lists(structures, min_size=1, max_size=3))
def test_random_question_lists(items):
    check_file_bytes(yaml.safe_dump({"questions": items}, allow_unicode=True).encode("utf-8"))


def _mutations():
    keys = sorted({k for q in GOOD_QUESTIONS for k in q} | {"anwser", "typ", "options"})
    return st.tuples(
        st.integers(0, len(GOOD_QUESTIONS) - 1),
        st.lists(
            st.tuples(
                st.sampled_from(["drop", "set", "rename"]), st.sampled_from(keys), structures
            ),
            min_size=1,
            max_size=3,
        ),
    )


@pytest.mark.slow
@FUZZ
@given(_mutations())
def test_mutated_real_questions(mutation):
    index, edits = mutation
    question = copy.deepcopy(GOOD_QUESTIONS[index])
    for action, key, value in edits:
        if action == "drop":
            question.pop(key, None)
        elif action == "set":
            question[key] = value
        elif key in question:
            question[key + "x"] = question.pop(key)
    check_file_bytes(yaml.safe_dump({"questions": [question]}, allow_unicode=True).encode())


@FUZZ
@given(st.binary(min_size=1, max_size=60), st.integers(0, 3))
def test_invalid_utf8_is_reported_at_its_line(junk, line):
    data = b"questions:\n" + b"  # a comment\n" * line + b"  - id: x" + b"\xff" + junk
    with pytest.raises(YamlReadError) as info:
        decode(data)
    assert info.value.line == line + 2
    assert "not UTF-8" in info.value.message
    offset = data.index(b"\xff")
    assert f"offset {offset}" in info.value.message


@pytest.mark.parametrize("depth", [2, 5, 9])
def test_alias_bombs_are_refused_at_the_first_anchor(depth):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, depth):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    with pytest.raises(YamlReadError, match="anchor '&a0' is not allowed") as info:
        parse("\n".join(lines) + "\n")
    assert (info.value.line, info.value.column) == (1, 5)


@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
def test_deep_nesting_is_a_clean_error(depth):
    for text in ("[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth):
        with pytest.raises(YamlReadError, match=r"nested|deep|depth"):
            parse(text)


def test_deep_block_nesting_is_a_clean_error():
    text = "".join("  " * n + f"k{n}:\n" for n in range(200)) + "  " * 200 + "v\n"
    with pytest.raises(YamlReadError, match="nested more than"):
        parse(text)


def test_a_file_over_the_size_cap_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"questions:\n" + b"#" * MAX_BYTES)
    (problem,) = validate_paths([path])
    assert "larger than 1024 KiB" in problem.message
    assert "split it" in problem.message


@pytest.mark.timeout(120)
@pytest.mark.slow
def test_a_file_just_under_the_cap_loads_or_fails_cleanly(tmp_path):
    body = "questions: [" + "1, " * ((MAX_BYTES - 100) // 3) + "1]\n"
    path = tmp_path / "big.yaml"
    path.write_text(body)
    assert path.stat().st_size <= MAX_BYTES
    problems = validate_paths([path])
    assert problems and all("a question is a mapping" in p.message for p in problems[:3])
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1  # then one line for the rest


def test_a_huge_integer_is_a_clean_error():
    with pytest.raises(YamlReadError, match="put it in quotes"):
        parse("a: " + "9" * 10_000)


def test_a_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (problem,) = validate_paths([fifo])
    assert "not a regular file" in problem.message

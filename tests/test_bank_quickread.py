"""The quick reader (`quizzer.bank.quickread`) that `load_bank` tries first: it builds
exactly the careful reader's data, declines (returns None) wherever the careful reader
would refuse the text, and a bank with a problem still fails with the careful reader's
positioned message. `Bank.location` stays right without the careful reader's positions.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzer.bank import BankProblemError, load_bank, loader, locate, quickread
from quizzer.bank.yamlread import YamlReadError
from quizzer.bank.yamlread import parse as careful_parse

FIXTURES = Path(__file__).parent / "bank_fixtures"
GOOD = FIXTURES / "good"
#: The broken fixtures that fail to load (quality problems are for `bank validate`).
BROKEN = sorted(
    (p for p in (FIXTURES / "broken").iterdir() if p.stem not in ("quality", "translations")),
    key=lambda p: p.name,
)
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class _NoAliases(yaml.SafeDumper):
    """Writes shared objects out in full, so dumped test data never has anchors."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def tf_question(qid: str) -> str:
    return (
        f"  - id: {qid}\n    type: true_false\n    topic: graphs\n    difficulty: easy\n"
        f'    prompt: "Statement {qid}"\n    explanation: "Why."\n    answer: true\n'
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def careful_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The message `load_bank` gives with the careful reader only."""
    with monkeypatch.context() as patch:
        patch.setenv(loader.CAREFUL_ENV_VAR, "1")
        with pytest.raises(BankProblemError) as info:
            load_bank([path], include_bundled=False, env={})
    return str(info.value)


def quick_error(path: Path) -> str:
    with pytest.raises(BankProblemError) as info:
        load_bank([path], include_bundled=False, env={})
    return str(info.value)


def same_as_careful(text: str) -> None:
    """The quick reader's contract on any text."""
    quick = quickread.parse(text)
    try:
        careful = careful_parse(text)
    except YamlReadError:
        assert quick is None, "the quick reader accepted text the careful one refuses"
        return
    if quick is None:
        return  # declining is always allowed: the careful reader then reads it
    assert quick.data == careful.data
    assert repr(quick.data) == repr(careful.data)  # same types: 1 vs 1.0 vs True
    for path, pos in quick.values.items():
        assert careful.values[path] == pos, path
    items = careful.data.get("questions") if isinstance(careful.data, dict) else None
    if isinstance(items, list) and isinstance(careful.data, dict):
        assert set(quick.values) == {("questions", i) for i in range(len(items))}


# Refusals: the quick reader declines, and load_bank gives the careful message.

REFUSED = {
    "alias": ("questions:\n  - *base\n", "2:5: YAML alias '*base' is not allowed"),
    "anchor": (
        "questions:\n  - &base\n    id: a\n",
        "2:5: YAML anchor '&base' is not allowed; write the value out in full",
    ),
    "scalar anchor": (
        "questions:\n  - id: &x a\n",
        "2:9: YAML anchor '&x' is not allowed",
    ),
    "duplicate key": (
        "questions:\n" + tf_question("dup") + "    answer: false\n",
        "9:5: duplicate key 'answer' (first at line 8, column 5); remove one of them",
    ),
    "duplicate key in flow": (
        "questions: [{id: a, id: b}]\n",
        "1:21: duplicate key 'id' (first at line 1, column 14); remove one of them",
    ),
    "python tag": (
        "questions:\n  - !!python/object/apply:os.system [echo]\n",
        "2:5: YAML tag '!!python/object/apply:os.system' is not allowed",
    ),
    "custom tag": ("questions:\n  - id: !env HOME\n", "2:9: YAML tag '!env' is not allowed"),
    "binary tag": ("questions:\n  - id: !!binary aGk=\n", "2:9: YAML tag '!!binary' is not"),
    "set tag": ("questions: !!set {a, b}\n", "1:12: YAML tag '!!set' is not allowed"),
    "merge key": (
        "questions:\n  - id: a\n    <<: {type: open}\n",
        "3:5: YAML merge key '<<' is not allowed; write the keys out in full",
    ),
    "int key": ("questions:\n  - id: a\n    1: one\n", "3:5: key '1' is read as int"),
    "null key": ("questions:\n  - id: a\n    ~: one\n", "3:5: key '~' is read as NoneType"),
    "list key": ("questions:\n  - id: a\n    [x]: one\n", "3:5: a key must be plain text"),
    "deep flow": (
        "questions: " + "[" * 40 + "]" * 40 + "\n",
        "1:43: nested more than 32 levels deep; bank files need only a few levels",
    ),
    "deep block": (
        "".join("  " * n + f"k{n}:\n" for n in range(40)) + "  " * 40 + "v\n",
        "33:65: nested more than 32 levels deep",
    ),
    "two documents": (
        "questions:\n" + tf_question("one") + "---\nquestions: []\n",
        "9:1: more than one YAML document ('---'); keep one document per file",
    ),
    "huge integer": ("questions:\n  - id: " + "9" * 5000 + "\n", "put it in quotes"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_quick_reader_declines_what_the_careful_reader_refuses(name):
    text, _ = REFUSED[name]
    assert quickread.parse(text) is None
    with pytest.raises(YamlReadError):
        careful_parse(text)


@pytest.mark.parametrize("name", list(REFUSED))
def test_load_bank_gives_the_careful_message_for_each_refusal(name, tmp_path, monkeypatch):
    text, expected = REFUSED[name]
    path = write(tmp_path / "bank.yaml", text)
    message = quick_error(path)
    assert message == careful_error(path, monkeypatch)
    assert f"bank.yaml:{expected}" in message if expected[0].isdigit() else expected in message


@pytest.mark.parametrize("case", BROKEN, ids=[c.name for c in BROKEN])
def test_every_broken_fixture_fails_with_the_careful_message(case, monkeypatch):
    assert quick_error(case) == careful_error(case, monkeypatch)


def test_a_problem_after_a_clean_file_is_still_positioned(tmp_path, monkeypatch):
    write(tmp_path / "a.yaml", "questions:\n" + tf_question("first"))
    write(tmp_path / "b.yaml", "questions:\n" + tf_question("second").replace("topic", "topc"))
    message = quick_error(tmp_path)
    assert message == careful_error(tmp_path, monkeypatch)
    assert message.endswith(
        "b.yaml:4:5: [second] topc: unknown field 'topc' (did you mean 'topic'?)"
    )


def test_a_duplicate_id_across_files_names_the_first_line(tmp_path, monkeypatch):
    write(tmp_path / "a.yaml", "questions:\n\n# first\n" + tf_question("same"))
    write(tmp_path / "b.yaml", "questions:\n" + tf_question("other") + tf_question("same"))
    message = quick_error(tmp_path)
    assert message == careful_error(tmp_path, monkeypatch)
    assert "b.yaml:9:9: [same] id: duplicate id 'same' (first defined at " in message
    assert "a.yaml:4); ids must be unique" in message


# What the quick reader accepts, it reads exactly as the careful reader does.


@pytest.mark.parametrize(
    "text",
    [
        "questions:\n" + tf_question("plain"),
        "questions: [{id: a, n: 1, f: 1.5, b: yes, t: 2024-01-02, z: ~, e: '', x: .inf}]\n",
        "questions:\n  - id: 'quoted: 1'\n    n: '1'\n    s: \"true\"\n    b: |\n      text\n",
        "\ufeffquestions:\r\n  - id: crlf\r\n\r\n  - {id: flow}\r\n",
        "questions:\n  - plain\n  - [a, list]\n  - 3\n",
        "other: 1\nquestions: []\n",
        "just text\n",
        "[questions]\n",
    ],
)
def test_accepted_text_reads_as_the_careful_reader_reads_it(text):
    assert quickread.parse(text) is not None
    same_as_careful(text)


def test_every_bundled_and_fixture_file_is_read_quickly_and_identically():
    files = sorted(locate.bundled_bank_dir().rglob("*.yaml")) + sorted(GOOD.rglob("*.yaml"))
    assert files
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert quickread.parse(text) is not None, file
        same_as_careful(text)


@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from(list("questions:-[]{}&*!|>'\"#?,\n\t :id0a1.~<")), max_size=200
    )
)
def test_random_yaml_punctuation_reads_the_same_or_is_declined(text):
    same_as_careful(text)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.dates(),
    st.text(max_size=12),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=25,
)


@FUZZ
@given(st.lists(structures, min_size=1, max_size=4), st.sampled_from([None, True, False]))
def test_random_question_lists_read_the_same(items, flow):
    text = yaml.dump(
        {"questions": items}, Dumper=_NoAliases, allow_unicode=True, default_flow_style=flow
    )
    assert quickread.parse(text) is not None
    same_as_careful(text)


# Locations, and which reader load_bank uses.


def test_locations_name_the_line_of_each_entry(tmp_path, monkeypatch):
    block = tf_question("block-one") + "\n  # a comment\n\n" + tf_question("block-two")
    flow = "  - {id: flow-one, type: true_false, topic: graphs, difficulty: easy,\n"
    flow += "     prompt: Flow, explanation: Why., answer: false}\n"
    write(tmp_path / "a.yaml", "# header\n\nquestions:\n" + block + flow)
    write(tmp_path / "b.yaml", "questions:\r\n" + tf_question("crlf").replace("\n", "\r\n"))
    bank = load_bank([tmp_path], include_bundled=False, env={})
    for qid in bank.ids():
        where = bank.location(qid)
        line = where.path.read_text(encoding="utf-8").splitlines()[where.line - 1]
        assert line[where.column - 1 :].startswith((f"id: {qid}", f"{{id: {qid},")), qid
    assert [bank.location(q).line for q in bank.ids()] == [4, 14, 21, 2]
    monkeypatch.setenv(loader.CAREFUL_ENV_VAR, "1")
    careful = load_bank([tmp_path], include_bundled=False, env={})
    assert careful.locations == bank.locations
    assert careful.questions == bank.questions


def test_the_bundled_bank_loads_the_same_either_way(monkeypatch):
    quick = load_bank(env={})
    monkeypatch.setenv(loader.CAREFUL_ENV_VAR, "1")
    careful = load_bank(env={})
    assert quick.questions == careful.questions
    assert quick.locations == careful.locations
    assert quick.dirs == careful.dirs


def test_a_clean_bank_is_read_by_the_quick_reader_alone(monkeypatch):
    def careful_load(path: Path) -> None:
        raise AssertionError(f"the careful reader read {path}")

    monkeypatch.setattr(loader, "load", careful_load)
    assert len(load_bank([GOOD], include_bundled=False, env={})) == 9


def test_the_switch_reads_with_the_careful_reader_alone(monkeypatch):
    def quick_load(path: Path) -> None:
        raise AssertionError(f"the quick reader read {path}")

    monkeypatch.setattr(quickread, "load", quick_load)
    monkeypatch.setenv(loader.CAREFUL_ENV_VAR, "1")
    assert len(load_bank([GOOD], include_bundled=False, env={})) == 9


def test_a_file_only_the_careful_reader_accepts_still_loads(tmp_path, monkeypatch):
    text = "questions:\n" + tf_question("tagged").replace("topic: graphs", "topic: !!str graphs")
    path = write(tmp_path / "tagged.yaml", text)
    assert quickread.parse(text) is None
    bank = load_bank([path], include_bundled=False, env={})
    assert bank.get("tagged").topic == "graphs"
    assert bank.location("tagged").line == 2

"""Reading answers.yaml as a candidate writes it: text answers are read as written
(YAML would make `True` a bool, `[2, 5, 3]` a list and `{'a': 1}` a mapping), one
answer that is not valid YAML costs that answer only, with a note, and the template's
natural way of filling it in is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quizzer.screen.answers import TEXT_TYPES, read_answers
from quizzer.screen.load import load_screen
from quizzer.screen.paper import build_paper, question_of
from quizzer.screen.paper_files import write_paper
from quizzer.screen.scoring import score_question

BANK = """\
questions:
  - id: prints-bool
    type: code_output
    topic: python
    difficulty: easy
    prompt: What does this print?
    code: print(1 < 2)
    answer: "True"
    explanation: A comparison gives a bool.
  - id: prints-list
    type: code_output
    topic: python
    difficulty: easy
    prompt: What does this print?
    code: print([2, 5, 3])
    answer: "[2, 5, 3]"
    explanation: print shows the list.
  - id: prints-dict
    type: code_output
    topic: python
    difficulty: easy
    prompt: What does this print?
    code: "print({'a': 1})"
    answer: "{'a': 1}"
    explanation: print shows the dict.
  - id: says-why
    type: open
    topic: python
    difficulty: easy
    prompt: Why?
    model_answer: Because.
    rubric: [Says why.]
    explanation: Because.
  - id: true-or-false
    type: true_false
    topic: python
    difficulty: easy
    prompt: Is 1 < 2?
    answer: true
    explanation: It is.
"""

SCREEN = """\
title: Text answers
seed: 5
banks: [bank]
threshold: {percent: 50}
sections:
  - id: text-answers
    title: Text answers
    shuffle: false
    questions: [prints-bool, prints-list, prints-dict, says-why, true-or-false]
"""


@pytest.fixture
def paper_dir(tmp_path: Path):
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "q.yaml").write_text(BANK, encoding="utf-8")
    (tmp_path / "screen.yaml").write_text(SCREEN, encoding="utf-8")
    loaded = load_screen(tmp_path / "screen.yaml")
    paper = build_paper(loaded, "alice")
    out = tmp_path / "alice"
    write_paper(loaded, paper, out)
    labels = {item.question_id: item.label for item in paper.questions()}
    return loaded, paper, out, labels


def graded(loaded, paper, path: Path) -> dict[str, tuple[str, str]]:
    """bank id -> (status, note) for every question of the paper."""
    answers = read_answers(path, paper)
    out = {}
    for item in paper.questions():
        question = question_of(loaded, item)
        result = score_question(
            item,
            question,
            answers.response(item.label, question),
            loaded.screen.partial_credit,
            read_note=answers.notes.get(item.label),
        )
        out[item.question_id] = (result.status, result.note)
    return out


def test_unquoted_printed_output_is_read_as_written(paper_dir):
    loaded, paper, out, at = paper_dir
    text = [
        "candidate: alice",
        "answers:",
        f"  {at['prints-bool']}: True",
        f"  {at['prints-list']}: [2, 5, 3]",
        f"  {at['prints-dict']}: {{'a': 1}}",
        f"  {at['true-or-false']}: True",
    ]
    (out / "answers.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    result = graded(loaded, paper, out / "answers.yaml")
    for qid in ("prints-bool", "prints-list", "prints-dict", "true-or-false"):
        assert result[qid][0] == "right", (qid, result[qid])


def test_an_unquoted_colon_costs_that_answer_only_with_a_note(paper_dir):
    loaded, paper, out, at = paper_dir
    text = [
        "candidate: alice",
        "answers:",
        f"  {at['prints-bool']}: True",
        f"  {at['says-why']}: it depends: on the seed",
        f"  {at['true-or-false']}: true",
    ]
    (out / "answers.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    answers = read_answers(out / "answers.yaml", paper)
    why = question_of(loaded, paper.item(at["says-why"]))
    assert answers.response(at["says-why"], why) == "it depends: on the seed"
    result = graded(loaded, paper, out / "answers.yaml")
    assert result["prints-bool"][0] == "right" and result["true-or-false"][0] == "right"
    status, note = result["says-why"]
    assert status == "pending"
    assert "line 4 is not valid YAML" in note and f"after '{at['says-why']}:'" in note


def test_the_template_filled_in_naturally_is_valid(paper_dir):
    """Every text question gets a block; typing the answer on its indented line, with
    colons, quotes and Python literals, reads back exactly."""
    loaded, paper, out, at = paper_dir
    path = out / "answers.yaml"
    typed = {
        "prints-bool": ["True"],
        "prints-list": ["[2, 5, 3]"],
        "prints-dict": ["{'a': 1}"],
        "says-why": ['Because: the "seed" differs', "  and so does the order."],
    }
    lines = path.read_text(encoding="utf-8").splitlines()
    for qid, answer in typed.items():
        index = lines.index(f"  {at[qid]}: |-")
        lines[index + 1 : index + 2] = ["    " + line for line in answer]
    tf = lines.index(f"  {at['true-or-false']}:")
    lines[tf] += " true"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    answers = read_answers(path, paper)
    assert not answers.notes
    for qid, answer in typed.items():
        question = question_of(loaded, paper.item(at[qid]))
        assert question.type in TEXT_TYPES
        assert answers.response(at[qid], question) == "\n".join(answer)
    result = graded(loaded, paper, path)
    assert {qid: result[qid][0] for qid in ("prints-bool", "prints-list", "prints-dict")} == {
        "prints-bool": "right",
        "prints-list": "right",
        "prints-dict": "right",
    }


def test_the_untouched_template_is_all_unanswered(paper_dir):
    loaded, paper, out, _ = paper_dir
    answers = read_answers(out / "answers.yaml", paper)
    assert all(v is None for v in answers.responses.values())
    assert {s for s, _ in graded(loaded, paper, out / "answers.yaml").values()} == {"missing"}


def test_an_answer_given_on_screen_is_written_back_exactly(paper_dir):
    """The exam writes answers with quotes, not blocks: they read back unchanged."""
    from quizzer.screen.answers import answers_text

    loaded, paper, out, at = paper_dir
    questions = {item.label: question_of(loaded, item) for item in paper.questions()}
    given = {at["says-why"]: 'a: b\n  "c"\n', at["prints-bool"]: "True"}
    (out / "answers.yaml").write_text(answers_text(paper, questions, given), encoding="utf-8")
    answers = read_answers(out / "answers.yaml", paper)
    assert {k: answers.responses[k] for k in given} == given, json.dumps(answers.responses)

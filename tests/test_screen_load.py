"""A screen file is validated like a bank file: every problem is reported with its
file:line:column, the field, and a suggestion where a name is misspelt; then it is
checked against its banks (ids exist, draws can be filled, thresholds can be reached).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from quizzer.screen.load import ScreenError, load_screen
from tests.screen_fixtures.support import CONCEPTS_ONLY, SCREEN, write_screen

BASE = """\
title: T
seed: 1
banks: [{public}, {private}]
threshold: {percent: 50}
sections:
  - id: concepts
    title: Concepts
    questions:
{questions}
"""


def screen_with(tmp_path: Path, questions: str, base: str = BASE) -> Path:
    text = base.replace("{questions}", questions)
    return write_screen(tmp_path, text)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScreenError) as info:
        load_screen(path)
    return [str(p) for p in info.value.problems]


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_the_fixture_screen_and_the_example_are_valid():
    for path in (SCREEN, Path("examples/screens/pytorch-screen.yaml")):
        loaded = load_screen(path)
        assert loaded.screen.sections
        assert len(loaded.sha256) == 64


def test_a_misspelt_field_names_its_line_and_suggests_the_right_one(tmp_path):
    path = screen_with(tmp_path, "      - pub-single")
    path.write_text(path.read_text().replace("threshold:", "threshhold:"))
    [problem] = [p for p in problems_of(path) if "threshhold" in p]
    assert f"screen.yaml:{line_of(path, 'threshhold')}:1:" in problem
    assert "did you mean 'threshold'?" in problem


def test_an_unknown_question_id_suggests_a_close_one(tmp_path):
    path = screen_with(tmp_path, "      - id: pub-singel")
    [problem] = problems_of(path)
    assert f":{line_of(path, 'pub-singel')}:" in problem
    assert "no question 'pub-singel'" in problem
    assert "did you mean 'pub-single'?" in problem


def test_a_coding_task_under_questions_says_where_it_goes(tmp_path):
    [problem] = problems_of(screen_with(tmp_path, "      - fix-linear"))
    assert "'fix-linear' is a coding task; list it under 'tasks'" in problem


def test_a_concept_question_under_tasks_is_refused(tmp_path):
    text = BASE.replace("    questions:\n{questions}", "    tasks:\n      - pub-single\n")
    [problem] = problems_of(write_screen(tmp_path, text))
    assert "'pub-single' is a single_choice question; list it under 'questions'" in problem


def test_the_same_question_twice_is_refused_with_the_first_line(tmp_path):
    path = screen_with(tmp_path, "      - pub-single\n      - id: pub-single")
    [problem] = problems_of(path)
    assert "'pub-single' is already on the paper (line" in problem


def test_a_draw_larger_than_its_pool_is_refused(tmp_path):
    # 8 questions have the topic drawpool.
    [problem] = problems_of(screen_with(tmp_path, "      - {draw: 9, topic: drawpool}"))
    assert "draws 9 but only 8 question(s) match" in problem


def test_draws_that_compete_for_the_same_pool_are_counted_together(tmp_path):
    path = screen_with(tmp_path, "      - {draw: 5, topic: drawpool}\n      - {draw: 4, tag: even}")
    [problem] = problems_of(path)
    assert "draws 4 but only 4 question(s) match (5 of them may go to earlier draws)" in problem


def test_picked_questions_leave_the_pool_of_every_draw(tmp_path):
    path = screen_with(tmp_path, "      - pool-01\n      - {draw: 8, topic: drawpool}")
    [problem] = problems_of(path)
    assert "draws 8 but only 7 question(s) match" in problem


def test_an_unknown_topic_in_a_rule_gets_a_suggestion(tmp_path):
    [problem] = problems_of(screen_with(tmp_path, "      - {draw: 1, topic: drawpol}"))
    assert "no topic 'drawpol' in the banks" in problem
    assert "did you mean 'drawpool'?" in problem


def test_an_unknown_type_in_a_list_of_rules_is_located_at_its_item(tmp_path):
    path = screen_with(
        tmp_path, "      - draw: 1\n        type:\n          - true_false\n          - coding"
    )
    [problem] = problems_of(path)
    assert f":{line_of(path, '- coding')}:" in problem
    assert "no type 'coding'" in problem


def test_rules_without_draw_are_refused(tmp_path):
    [problem] = problems_of(screen_with(tmp_path, "      - {id: pub-single, topic: graphs}"))
    assert "rules (topic, tag, type, difficulty, exclude) go with 'draw'" in problem


def test_a_threshold_needs_exactly_one_of_percent_or_points(tmp_path):
    path = screen_with(tmp_path, "      - pub-single")
    path.write_text(path.read_text().replace("{percent: 50}", "{percent: 50, points: 1}"))
    [problem] = problems_of(path)
    assert "give exactly one of 'percent' or 'points'" in problem


def test_a_threshold_that_can_never_be_reached_is_refused(tmp_path):
    path = screen_with(tmp_path, "      - pub-single\n      - pub-tf")
    path.write_text(path.read_text().replace("{percent: 50}", "{points: 3}"))
    [problem] = problems_of(path)
    assert "needs 3 points but at most 2 can be scored" in problem


def test_a_missing_bank_folder_names_the_entry(tmp_path):
    path = write_screen(
        tmp_path,
        BASE.replace("{private}", "no-such-bank").replace("{questions}", "      - pub-single"),
    )
    [problem] = problems_of(path)
    assert "bank folder" in problem and "no-such-bank" in problem and "does not exist" in problem


def test_task_check_weights_must_name_checks_the_task_runs(tmp_path):
    text = BASE.replace(
        "    questions:\n{questions}",
        "    tasks:\n      - {id: fix-linear, checks: {load: 1, device: 2}}\n",
    )
    [problem] = problems_of(write_screen(tmp_path, text))
    assert "task 'fix-linear' does not run the check 'device'" in problem


def test_a_misspelt_check_name_gets_a_suggestion(tmp_path):
    text = BASE.replace(
        "    questions:\n{questions}", "    tasks:\n      - {id: fix-linear, checks: {shapez: 1}}\n"
    )
    [problem] = problems_of(write_screen(tmp_path, text))
    assert "did you mean 'shapes'?" in problem


def test_every_problem_is_reported_at_once(tmp_path):
    path = screen_with(
        tmp_path, "      - id: pub-singel\n      - fix-linear\n      - {draw: 99, topic: drawpool}"
    )
    assert len(problems_of(path)) == 3


def test_yaml_syntax_errors_use_the_bank_reader(tmp_path):
    path = tmp_path / "screen.yaml"
    path.write_text("title: T\nseed: 1\nbanks: [a\n")
    [problem] = problems_of(path)
    assert "YAML syntax error" in problem and "screen.yaml:" in problem


def test_a_screen_that_is_not_a_mapping_says_what_it_should_be(tmp_path):
    path = tmp_path / "screen.yaml"
    path.write_text("- just\n- a list\n")
    [problem] = problems_of(path)
    assert "a screen file is a mapping" in problem


def test_section_ids_must_be_unique(tmp_path):
    text = CONCEPTS_ONLY + "  - id: concepts\n    title: Again\n    questions: [pub-tf]\n"
    text = text.replace("      - pub-tf\n", "")
    [problem] = problems_of(write_screen(tmp_path, text))
    assert "section id 'concepts' is used twice" in problem


def test_the_cli_validates_and_exits_2_on_problems(run_cli, tmp_path):
    good = run_cli("screen", "validate", str(SCREEN))
    assert good.exit_code == 0, good.stderr
    assert "2 coding task(s), 31 points" in good.stdout
    bad = screen_with(tmp_path, "      - id: pub-singel")
    result = run_cli("screen", "validate", str(bad))
    assert result.exit_code == 2
    assert "did you mean 'pub-single'?" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "module",
    [
        "quizzer.screen.load",
        "quizzer.screen.paper",
        "quizzer.screen.paper_files",
        "quizzer.screen.answers",
        "quizzer.screen.grader",
        "quizzer.screen.review",
        "quizzer.screen.report",
    ],
)
def test_the_screen_imports_neither_torch_textual_nor_typer(module):
    """torch comes in only when a file is judged; the UI and the CLI never."""
    probe = f"import {module}, json, sys; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}
    assert not loaded & {"torch", "textual", "typer"}


def test_validate_reports_every_bank_problem_not_only_the_first(run_cli, tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    question = (
        "  - id: {id}\n    type: true_false\n    topic: t\n    difficulty: {difficulty}\n"
        "    prompt: p\n    answer: {answer}\n    explanation: e\n"
    )
    (bank / "q.yaml").write_text(
        "questions:\n"
        + question.format(id="a-one", difficulty="easy", answer="maybe")
        + question.format(id="a-two", difficulty="hard-ish", answer="true"),
        encoding="utf-8",
    )
    screen = tmp_path / "screen.yaml"
    screen.write_text(
        "title: T\nseed: 1\nbanks: [bank]\nthreshold: {percent: 50}\nsections:\n"
        "  - id: first\n    title: S\n    questions: [a-one]\n",
        encoding="utf-8",
    )
    result = run_cli("screen", "validate", screen)
    assert result.exit_code == 2
    assert "2 problems" in result.stderr
    assert "q.yaml:7:" in result.stderr and "q.yaml:12:" in result.stderr


def test_validate_warns_about_the_public_bundled_bank(run_cli, tmp_path):
    screen = tmp_path / "screen.yaml"
    screen.write_text(
        "title: T\nseed: 1\nbanks: [bundled]\nthreshold: {percent: 50}\nsections:\n"
        "  - id: first\n    title: S\n    questions: [{draw: 2, topic: autograd}]\n"
        "    tasks: [simple-nn]\n",
        encoding="utf-8",
    )
    warned = run_cli("screen", "validate", screen)
    assert warned.exit_code == 0, warned.stderr
    assert "warning:" in warned.stderr and "bundled public bank" in warned.stderr
    assert "simple-nn" in warned.stderr
    refused = run_cli("screen", "validate", screen, "--private-only")
    assert refused.exit_code == 2 and "(--private-only)" in refused.stderr


def test_a_private_bank_draws_no_warning(run_cli, tmp_path):
    from tests.screen_fixtures.support import CONCEPTS_ONLY, write_screen

    result = run_cli("screen", "validate", write_screen(tmp_path, CONCEPTS_ONLY), "--private-only")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr

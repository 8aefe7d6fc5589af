"""`quizzer bank validate|list|show|stats` through the real CLI: exit codes, output
and error text."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "bank_fixtures"
GOOD = FIXTURES / "good"
BROKEN = FIXTURES / "broken"


@pytest.fixture(autouse=True)
def no_env_bank(monkeypatch):
    monkeypatch.delenv("QUIZZER_BANK", raising=False)


def test_validate_a_good_bank_prints_a_summary(run_cli):
    result = run_cli("bank", "validate", GOOD)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "ok: 9 questions (1 coding tasks) in 2 file(s), no problems"


def test_validate_reports_every_problem_and_exits_2(run_cli):
    result = run_cli("bank", "validate", BROKEN / "misspelt-key.yaml", BROKEN / "answer-keys.yaml")
    assert result.exit_code == 2
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 8
    assert any(
        line.endswith(
            "misspelt-key.yaml:12:5: [misspelt-key] anwser: unknown field 'anwser' "
            "(did you mean 'answer'?)"
        )
        for line in lines
    )
    assert "error: 8 problem(s) in 2 file(s)" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_a_non_utf8_file_is_a_clean_error(run_cli):
    result = run_cli("bank", "validate", BROKEN / "non-utf8.yaml")
    assert result.exit_code == 2
    assert "non-utf8.yaml:3:12: not UTF-8: byte 0xe9 at offset 50" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_a_missing_path(run_cli, tmp_path):
    result = run_cli("bank", "validate", tmp_path / "nope")
    assert result.exit_code == 2
    assert "nope: no such file or folder" in result.stdout


def test_validate_without_paths_checks_the_selected_bank(run_cli, tmp_path):
    shutil.copytree(BROKEN / "dup-ids", tmp_path / "dups")
    result = run_cli("bank", "validate", env={"QUIZZER_BANK": str(tmp_path / "dups")})
    assert result.exit_code == 2
    assert "duplicate id 'dup-id'" in result.stdout
    result = run_cli("bank", "validate", "--bank", GOOD, env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 0


def test_validate_can_require_translations(run_cli):
    case = BROKEN / "translations.yaml"
    assert run_cli("bank", "validate", case).exit_code == 0
    result = run_cli("bank", "validate", "--require-translations", case)
    assert result.exit_code == 2
    assert "no zh translation" in result.stdout


def test_loading_commands_stop_at_the_first_problem(run_cli):
    result = run_cli("bank", "list", env={"QUIZZER_BANK": str(BROKEN / "misspelt-key.yaml")})
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "misspelt-key.yaml:11:17: [misspelt-key] options[1].txet: unknown field" in result.stderr


def test_list_shows_a_table(run_cli):
    result = run_cli("bank", "list", "--bank", GOOD, env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "TOPIC", "DIFFICULTY", "TAGS", "PROMPT"]
    assert lines[1].split()[:5] == ["fixture-single", "single_choice", "graphs", "easy", "basics"]
    assert lines[-1] == "9 question(s)"


@pytest.mark.parametrize(
    ("option", "value", "ids"),
    [
        ("--topic", "graphs", ["fixture-single", "fixture-open"]),
        ("--tag", "no-grad", ["fixture-multiple"]),
        ("--type", "coding", ["fixture-tiny-linear"]),
        ("--difficulty", "hard", ["fixture-open"]),
    ],
)
def test_list_filters(run_cli, option, value, ids):
    result = run_cli("bank", "list", option, value, env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 0
    rows = result.stdout.splitlines()[1:-1]
    assert [row.split()[0] for row in rows] == ids


def test_list_in_chinese(run_cli):
    result = run_cli(
        "bank", "list", "--lang", "zh", "--type", "numeric", env={"QUIZZER_BANK": str(GOOD)}
    )
    assert "nn.Linear(10, 5) 有多少参数？" in result.stdout


def test_list_with_a_misspelt_filter_suggests(run_cli):
    result = run_cli("bank", "list", "--type", "code_outptu", env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 2
    assert "no type 'code_outptu'" in result.stderr
    assert "did you mean 'code_output'?" in result.stderr


def test_list_with_nothing_matching(run_cli):
    result = run_cli(
        "bank", "list", "--topic", "graphs", "--type", "numeric", env={"QUIZZER_BANK": str(GOOD)}
    )
    assert result.exit_code == 0
    assert result.stdout.strip() == "no questions match"


def test_show_hides_the_answer_unless_asked(run_cli):
    env = {"QUIZZER_BANK": str(GOOD)}
    result = run_cli("bank", "show", "fixture-single", env=env)
    assert result.exit_code == 0
    assert "When does PyTorch record the autograd graph?" in result.stdout
    assert "  a) While the forward code runs" in result.stdout
    assert "Answer" not in result.stdout
    assert "concepts.yaml:4" in result.stdout
    answered = run_cli("bank", "show", "fixture-single", "--answer", env=env)
    assert "Answer: a" in answered.stdout
    assert "define-by-run" in answered.stdout
    assert "Hint 1: Think of define-by-run." in answered.stdout


def test_show_in_chinese_with_answer(run_cli):
    result = run_cli(
        "bank", "show", "fixture-open", "--lang", "zh", "--answer", env={"QUIZZER_BANK": str(GOOD)}
    )
    assert "比较即时执行与图捕获。" in result.stdout
    assert "  - 即时执行更易调试" in result.stdout


def test_show_code_output_and_a_task(run_cli):
    env = {"QUIZZER_BANK": str(GOOD)}
    code = run_cli("bank", "show", "fixture-code-output", "--answer", env=env)
    assert "    print(sum(values))" in code.stdout
    assert "Answer (what it prints):\n  6\n  [3, 2, 1]" in code.stdout
    task = run_cli("bank", "show", "fixture-tiny-linear", "--answer", env=env)
    assert "Class: TinyLinear" in task.stdout
    assert "Input: ['B', 4] (float32) -> output: ['B', 2]" in task.stdout
    assert "Known bad: bad/wrong_shape.py fails at shapes: It returns (B, 3)." in task.stdout


def test_show_an_unknown_id_suggests(run_cli):
    result = run_cli("bank", "show", "fixture-singel", env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 2
    assert "no question with id 'fixture-singel'" in result.stderr
    assert "did you mean 'fixture-single'?" in result.stderr


def test_show_rejects_an_unknown_language(run_cli):
    result = run_cli(
        "bank", "show", "fixture-single", "--lang", "fr", env={"QUIZZER_BANK": str(GOOD)}
    )
    assert result.exit_code == 2
    assert "fr" in result.stderr


def test_stats_counts_per_topic_type_difficulty_and_language(run_cli, tmp_path):
    shutil.copytree(GOOD, tmp_path / "bank")
    extra = tmp_path / "bank" / "extra.yaml"
    extra.write_text(
        "questions:\n  - id: english-only\n    type: true_false\n    topic: graphs\n"
        "    difficulty: easy\n    prompt: An English-only statement.\n"
        "    explanation: Only English.\n    answer: true\n",
        encoding="utf-8",
    )
    result = run_cli("bank", "stats", env={"QUIZZER_BANK": str(tmp_path / "bank")})
    assert result.exit_code == 0
    assert result.stdout.startswith("10 questions in 3 file(s)")
    sections = stats_sections(result.stdout)
    assert sections["TOPIC"] == {"autograd": 3, "graphs": 3, "python": 2, "shapes": 1, "tasks": 1}
    assert sections["TYPE"]["code_output"] == 2
    assert sections["TYPE"]["true_false"] == 2
    assert sections["DIFFICULTY"] == {"easy": 8, "medium": 1, "hard": 1}
    assert sections["LANGUAGE"] == {"en": 10, "zh": 9}


def test_stats_of_the_bundled_bank_show_floors_targets_and_what_is_short(
    run_cli, tmp_path, monkeypatch
):
    from quizzer.bank import locate, targets

    shutil.copytree(GOOD, tmp_path / "bank")
    monkeypatch.setattr(locate, "bundled_bank_dir", lambda: tmp_path / "bank")
    monkeypatch.setattr(targets, "TOPIC_FLOORS", {"autograd": 3, "graphs": 5})
    monkeypatch.setattr(targets, "MIN_CONCEPT", 8)
    monkeypatch.setattr(targets, "MIN_CODE_OUTPUT", 2)
    result = run_cli("bank", "stats")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert out.splitlines()[2].split() == ["TOPIC", "COUNT", "FLOOR"]
    assert rows["autograd"] == ["3", "3"]  # at its floor
    assert rows["graphs"] == ["2", "5", "under"]
    assert rows["python"] == ["2"]  # no floor
    assert rows["concept"] == ["8", "8"]  # the fixture's task is not a concept question
    assert rows["code_output"] == ["2", "2"]  # the TARGET row (it comes after TYPE's)
    assert "1 topic(s) under their floor: graphs (2 of 5)" in out
    assert "totals under their goal" not in out
    assert stats_sections(out)["TOPIC"]["graphs"] == 2

    monkeypatch.setattr(targets, "TOPIC_FLOORS", {"autograd": 3})
    monkeypatch.setattr(targets, "MIN_CONCEPT", 9)
    out = run_cli("bank", "stats").stdout
    assert "under their floor" not in out
    assert "totals under their goal: concept (8 of 9)" in out


def test_stats_of_another_bank_show_no_floors(run_cli):
    result = run_cli("bank", "stats", env={"QUIZZER_BANK": str(GOOD)})
    assert "FLOOR" not in result.stdout and "TARGET" not in result.stdout


def stats_sections(text: str) -> dict[str, dict[str, int]]:
    sections: dict[str, dict[str, int]] = {}
    for block in text.strip().split("\n\n")[1:]:
        header, *rows = block.splitlines()
        sections[header.split()[0]] = {row.split()[0]: int(row.split()[1]) for row in rows}
    return sections


def test_bank_option_adds_to_quizzer_bank(run_cli, tmp_path):
    shutil.copytree(BROKEN / "dup-ids", tmp_path / "dups")
    (tmp_path / "dups" / "b.yaml").unlink()
    result = run_cli("bank", "list", "--bank", tmp_path / "dups", env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 0
    assert "dup-id" in result.stdout
    assert result.stdout.strip().endswith("10 question(s)")


def test_quizzer_bank_with_several_folders(run_cli, tmp_path):
    shutil.copytree(BROKEN / "dup-ids", tmp_path / "dups")
    (tmp_path / "dups" / "b.yaml").unlink()
    env = {"QUIZZER_BANK": os.pathsep.join([str(GOOD), str(tmp_path / "dups")])}
    result = run_cli("bank", "list", env=env)
    assert result.stdout.strip().endswith("10 question(s)")


def test_a_missing_bank_folder_exits_2(run_cli, tmp_path):
    result = run_cli("bank", "list", "--bank", tmp_path / "missing")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr

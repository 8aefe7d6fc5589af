"""`quizzer bank new`: scaffolds of every type are valid as written, carry TODO text
that `bank validate` flags until it is filled in, and never clobber what is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizzer.bank import load_bank, validate_paths
from quizzer.bank.models import QUESTION_TYPES
from quizzer.bank.scaffold import add_question, class_name_for, scaffold_yaml
from quizzer.errors import UsageError

GOOD = Path(__file__).parent / "bank_fixtures" / "good"


@pytest.fixture(autouse=True)
def no_env_bank(monkeypatch):
    monkeypatch.delenv("QUIZZER_BANK", raising=False)


def fill_todos(folder: Path) -> None:
    for path in folder.rglob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("TODO", "Done"), encoding="utf-8")


@pytest.mark.parametrize("kind", QUESTION_TYPES)
def test_each_type_is_valid_as_written_and_flagged_until_filled(run_cli, tmp_path, kind):
    target = tmp_path / "bank" / "new.yaml"
    result = run_cli(
        "bank",
        "new",
        "--type",
        kind,
        "--id",
        f"new-{kind.replace('_', '-')}",
        "--topic",
        "scaffolds",
        "--file",
        target,
    )
    assert result.exit_code == 0, result.stderr
    assert f"added 'new-{kind.replace('_', '-')}' ({kind})" in result.stdout

    bank = load_bank([tmp_path / "bank"], include_bundled=False, env={})
    assert [q.type for q in bank.questions] == [kind]

    flagged = run_cli("bank", "validate", tmp_path / "bank")
    assert flagged.exit_code == 2
    assert "still holds TODO text from 'bank new'; replace it" in flagged.stdout
    assert all("TODO" in line for line in flagged.stdout.splitlines())

    fill_todos(tmp_path / "bank")
    assert validate_paths([tmp_path / "bank"], require_translations=True) == []


def test_appending_keeps_existing_content_byte_for_byte(run_cli, tmp_path):
    target = tmp_path / "graphs.yaml"
    original = (GOOD / "concepts.yaml").read_text(encoding="utf-8")
    target.write_text(original, encoding="utf-8")
    result = run_cli(
        "bank",
        "new",
        "--type",
        "numeric",
        "--id",
        "brand-new",
        "--topic",
        "graphs",
        "--file",
        target,
    )
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith(original)
    assert "  - id: brand-new\n    type: numeric\n" in text[len(original) :]
    ids = load_bank([target], include_bundled=False, env={}).ids()
    assert ids[-1] == "brand-new" and len(ids) == 9


def test_appending_follows_the_file_indentation(tmp_path):
    target = tmp_path / "flat.yaml"
    target.write_text(
        "# no newline at the end\nquestions:\n- id: flat-one\n  type: true_false\n"
        "  topic: t\n  difficulty: easy\n  prompt: P\n  explanation: E\n"
        "  answer: true",
        encoding="utf-8",
    )
    add_question(target, "true_false", "flat-two", "t")
    text = target.read_text(encoding="utf-8")
    assert "  answer: true\n- id: flat-two\n  type: true_false\n" in text
    assert load_bank([target], include_bundled=False, env={}).ids() == ("flat-one", "flat-two")


def test_a_new_file_is_created_with_its_folders(tmp_path):
    target = tmp_path / "a" / "b" / "c.yaml"
    add_question(target, "open", "deep-new", "t")
    assert target.read_text(encoding="utf-8").startswith("questions:\n  - id: deep-new\n")


def test_default_file_is_the_topic_file_of_the_first_bank(run_cli, tmp_path):
    result = run_cli(
        "bank",
        "new",
        "--type",
        "short_answer",
        "--id",
        "where-it-goes",
        "--topic",
        "autograd",
        "--bank",
        tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "autograd.yaml").is_file()


def test_default_file_follows_quizzer_bank(run_cli, tmp_path):
    result = run_cli(
        "bank",
        "new",
        "--type",
        "true_false",
        "--id",
        "env-target",
        "--topic",
        "t",
        env={"QUIZZER_BANK": str(tmp_path)},
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "t.yaml").is_file()


def test_a_coding_task_gets_its_folder_and_files(run_cli, tmp_path):
    result = run_cli(
        "bank",
        "new",
        "--type",
        "coding",
        "--id",
        "tiny-mlp",
        "--topic",
        "tasks",
        "--bank",
        tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "tasks" / "tiny-mlp"
    for name in ("task.yaml", "starter.py", "reference.py", "bad/wrong_shape.py"):
        assert (folder / name).is_file(), name
        assert f"created {folder / name}" in result.stdout or name == "task.yaml"
    assert "class TinyMlp(nn.Module)" in (folder / "reference.py").read_text()
    bank = load_bank([tmp_path], include_bundled=False, env={})
    task = bank.tasks()[0]
    assert task.class_name == "TinyMlp"
    assert bank.resolve(task.id, task.reference) == (folder / "reference.py").resolve()
    compile((folder / "starter.py").read_text(), "starter.py", "exec")


def test_existing_task_files_are_never_overwritten(tmp_path):
    folder = tmp_path / "tasks" / "kept"
    folder.mkdir(parents=True)
    (folder / "reference.py").write_text("# mine\n")
    written = add_question(folder / "task.yaml", "coding", "kept", "tasks")
    assert (folder / "reference.py").read_text() == "# mine\n"
    assert folder / "reference.py" not in written
    assert folder / "starter.py" in written


def test_a_taken_id_is_refused_and_nothing_changes(run_cli, tmp_path):
    target = tmp_path / "t.yaml"
    add_question(target, "true_false", "taken", "t")
    before = target.read_bytes()
    result = run_cli(
        "bank", "new", "--type", "numeric", "--id", "taken", "--topic", "t", "--file", target
    )
    assert result.exit_code == 2
    assert "id 'taken' is already in the bank" in result.stderr
    assert target.read_bytes() == before


def test_an_id_taken_in_another_bank_file_is_refused(run_cli, tmp_path):
    result = run_cli(
        "bank",
        "new",
        "--type",
        "numeric",
        "--id",
        "fixture-numeric",
        "--topic",
        "t",
        "--file",
        tmp_path / "other.yaml",
        "--bank",
        GOOD,
    )
    assert result.exit_code == 2
    assert not (tmp_path / "other.yaml").exists()


def test_a_flow_style_list_is_refused(tmp_path):
    target = tmp_path / "flow.yaml"
    target.write_text("questions: [{id: x1, type: true_false}]\n")
    with pytest.raises(Exception, match="flow style"):
        add_question(target, "true_false", "flow-new", "t")
    assert target.read_text() == "questions: [{id: x1, type: true_false}]\n"


def test_a_broken_file_is_refused_with_its_position(run_cli, tmp_path):
    target = tmp_path / "broken.yaml"
    target.write_text("questions:\n  - id: x\n   type: oops\n")
    result = run_cli(
        "bank", "new", "--type", "open", "--id", "into-broken", "--topic", "t", "--file", target
    )
    assert result.exit_code == 2
    assert "broken.yaml:3:4: YAML syntax error" in result.stderr
    assert "fix the file before adding to it" in result.stderr
    assert target.read_text() == "questions:\n  - id: x\n   type: oops\n"


@pytest.mark.parametrize(
    ("kind", "qid", "topic", "message"),
    [
        ("single_choise", "ok-id", "t", "did you mean 'single_choice'?"),
        ("open", "Bad_Id", "t", "is not a valid id"),
        ("open", "ok-id", "Bad Topic", "is not a valid topic"),
    ],
)
def test_bad_arguments_are_usage_errors(run_cli, tmp_path, kind, qid, topic, message):
    result = run_cli(
        "bank", "new", "--type", kind, "--id", qid, "--topic", topic, "--file", tmp_path / "x.yaml"
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_no_temporary_files_are_left_behind(tmp_path):
    add_question(tmp_path / "t.yaml", "true_false", "tidy-one", "t")
    add_question(tmp_path / "t.yaml", "numeric", "tidy-two", "t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.yaml"]


def test_scaffold_text_and_class_names():
    assert scaffold_yaml("true_false", "a-b", "t").startswith("- id: a-b\n  type: true_false\n")
    assert class_name_for("simple-mlp") == "SimpleMlp"
    assert class_name_for("2-layer") == "Task2Layer"
    with pytest.raises(UsageError):
        scaffold_yaml("essay", "a-b", "t")

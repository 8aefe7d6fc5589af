"""`load_bank`, the `Bank` API and where banks are found (bundled, QUIZZER_BANK,
--bank folders)."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from quizzer.bank import Bank, BankProblemError, Location, load_bank, locate
from quizzer.bank.models import Coding, SingleChoice
from quizzer.errors import BankError

FIXTURES = Path(__file__).parent / "bank_fixtures"
GOOD = FIXTURES / "good"


@pytest.fixture
def good() -> Bank:
    return load_bank([GOOD], include_bundled=False, env={})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tf_question(qid: str, topic: str = "graphs", prompt: str | None = None) -> str:
    return (
        f"  - id: {qid}\n    type: true_false\n    topic: {topic}\n    difficulty: easy\n"
        f'    prompt: "{prompt or "Statement " + qid}"\n    explanation: "Why."\n'
        "    answer: true\n"
    )


def test_loads_every_question_of_the_good_bank_in_file_order(good):
    assert good.ids()[:3] == ("fixture-single", "fixture-multiple", "fixture-true-false")
    assert len(good) == 9
    assert {q.type for q in good.questions} == {
        "single_choice",
        "multiple_choice",
        "true_false",
        "numeric",
        "short_answer",
        "code_output",
        "open",
        "coding",
    }


def test_get_returns_the_typed_question(good):
    question = good.get("fixture-single")
    assert isinstance(question, SingleChoice)
    assert question.answer == "a"


def test_get_suggests_a_close_id(good):
    with pytest.raises(BankError, match="did you mean 'fixture-single'"):
        good.get("fixture-singel")


def test_get_without_a_close_id_points_to_bank_list(good):
    with pytest.raises(BankError, match="bank list"):
        good.get("zzz")


def test_filter_by_each_criterion(good):
    assert {q.id for q in good.filter(topic="graphs")} == {"fixture-single", "fixture-open"}
    assert [q.id for q in good.filter(tag="linear")] == ["fixture-numeric"]
    assert [q.id for q in good.filter(type="open")] == ["fixture-open"]
    assert {q.id for q in good.filter(difficulty="hard")} == {"fixture-open"}
    assert good.filter(topic="graphs", type="open", difficulty="easy") == ()
    assert good.filter() == good.questions


def test_topics_are_sorted_and_unique(good):
    assert good.topics() == ("autograd", "graphs", "python", "shapes", "tasks")


def test_location_names_the_file_and_line(good):
    where = good.location("fixture-numeric")
    assert where.path == (GOOD / "concepts.yaml").absolute()
    lines = where.path.read_text(encoding="utf-8").splitlines()
    assert lines[where.line - 1].strip() == "- id: fixture-numeric"
    assert isinstance(where, Location)


def test_tasks_and_resolve_give_absolute_task_files(good):
    (task,) = good.tasks()
    assert isinstance(task, Coding)
    folder = GOOD / "tasks" / "tiny-linear"
    assert good.resolve(task.id, task.starter) == (folder / "starter.py").resolve()
    assert good.resolve(task.id, task.variants[0].path) == (folder / "bad/wrong_shape.py").resolve()
    assert good.resolve(task.id, "reference.py").is_absolute()


def test_resolve_refuses_paths_outside_the_task_folder(good):
    with pytest.raises(BankError, match="inside its folder"):
        good.resolve("fixture-tiny-linear", "../../concepts.yaml")
    with pytest.raises(BankError, match="not found"):
        good.resolve("fixture-tiny-linear", "nope.py")


def test_the_bank_is_frozen(good):
    with pytest.raises(dataclasses.FrozenInstanceError):
        good.questions = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        good.locations["x"] = good.location("fixture-single")  # type: ignore[index]
    with pytest.raises(Exception, match="frozen"):
        good.get("fixture-single").answer = "b"  # type: ignore[misc]


def test_a_bank_built_in_memory_works_without_locations(good):
    bank = Bank(good.questions[:2])
    assert bank.get("fixture-single").id == "fixture-single"
    with pytest.raises(BankError, match="not loaded from a file"):
        bank.location("fixture-single")


def test_quizzer_bank_replaces_the_bundled_bank(tmp_path):
    write(tmp_path / "a" / "x.yaml", "questions:\n" + tf_question("env-one"))
    write(tmp_path / "b" / "y.yaml", "questions:\n" + tf_question("env-two", prompt="Other"))
    env = {"QUIZZER_BANK": f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}"}
    bank = load_bank(env=env)
    assert bank.ids() == ("env-one", "env-two")
    assert bank.dirs == (tmp_path / "a", tmp_path / "b")


def test_dirs_are_added_after_quizzer_bank(tmp_path):
    write(tmp_path / "a" / "x.yaml", "questions:\n" + tf_question("env-one"))
    write(tmp_path / "c" / "z.yaml", "questions:\n" + tf_question("added", prompt="Added"))
    bank = load_bank([tmp_path / "c"], env={"QUIZZER_BANK": str(tmp_path / "a")})
    assert bank.ids() == ("env-one", "added")


def test_an_empty_quizzer_bank_means_unset(tmp_path, monkeypatch):
    monkeypatch.setattr(locate, "bundled_bank_dir", lambda: GOOD)
    assert (
        load_bank(env={"QUIZZER_BANK": ""}).ids()
        == load_bank([GOOD], include_bundled=False, env={}).ids()
    )


def test_dirs_are_added_to_the_bundled_bank(tmp_path, monkeypatch):
    monkeypatch.setattr(locate, "bundled_bank_dir", lambda: GOOD)
    write(tmp_path / "mine.yaml", "questions:\n" + tf_question("mine", prompt="My own"))
    bank = load_bank([tmp_path], env={})
    assert bank.ids()[-1] == "mine"
    assert "fixture-single" in bank


def test_an_id_in_two_banks_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(locate, "bundled_bank_dir", lambda: GOOD)
    write(tmp_path / "mine.yaml", "questions:\n" + tf_question("fixture-numeric", prompt="Mine"))
    with pytest.raises(BankProblemError, match="duplicate id 'fixture-numeric'"):
        load_bank([tmp_path], env={})


def test_a_missing_bank_folder_is_a_clear_error(tmp_path):
    with pytest.raises(BankError, match="does not exist"):
        load_bank([tmp_path / "nope"], include_bundled=False, env={})
    with pytest.raises(BankError, match="QUIZZER_BANK"):
        load_bank(env={"QUIZZER_BANK": str(tmp_path / "nope")})


def test_a_folder_without_yaml_files_is_an_error(tmp_path):
    with pytest.raises(BankError, match=r"holds no \.yaml files"):
        load_bank([tmp_path], include_bundled=False, env={})


def test_no_bank_at_all_is_an_error():
    with pytest.raises(BankError, match="no bank to load"):
        load_bank(include_bundled=False, env={})


def test_loading_stops_at_the_first_problem_with_its_position(tmp_path):
    write(
        tmp_path / "q.yaml",
        "questions:\n" + tf_question("ok-one") + tf_question("ok-two").replace("answer", "anwser"),
    )
    with pytest.raises(BankProblemError) as info:
        load_bank([tmp_path], include_bundled=False, env={})
    assert str(info.value).endswith(
        "q.yaml:15:5: [ok-two] anwser: unknown field 'anwser' (did you mean 'answer'?)"
    )


def test_files_are_found_recursively_skipping_hidden_folders(tmp_path):
    write(tmp_path / "a.yaml", "questions:\n" + tf_question("top"))
    write(tmp_path / "deep" / "er" / "b.yml", "questions:\n" + tf_question("deep", prompt="Deep"))
    write(tmp_path / ".hidden" / "c.yaml", "not: [valid")
    write(tmp_path / "notes.md", "# not a bank file")
    assert load_bank([tmp_path], include_bundled=False, env={}).ids() == ("top", "deep")


def test_a_single_file_can_be_a_bank(tmp_path):
    path = write(tmp_path / "one.yaml", "questions:\n" + tf_question("single-file"))
    assert load_bank([path], include_bundled=False, env={}).ids() == ("single-file",)


def test_bundled_bank_is_found_in_a_checkout():
    assert locate.bundled_bank_dir() == Path(__file__).resolve().parents[1] / "questions"


def test_bundled_bank_is_found_in_an_installed_wheel(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "quizzer"
    write(package / "_bundled" / "questions" / "x.yaml", "questions:\n" + tf_question("wheel"))
    monkeypatch.setattr(locate, "_PACKAGE", package)
    assert locate.bundled_bank_dir() == package / "_bundled" / "questions"
    assert load_bank(env={}).ids() == ("wheel",)


def test_a_missing_bundled_bank_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setattr(locate, "_PACKAGE", tmp_path / "quizzer")
    with pytest.raises(BankError, match="reinstall quizzer, or point QUIZZER_BANK"):
        load_bank(env={})


def test_the_wheel_bundles_the_bank_folder():
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"questions" = "quizzer/_bundled/questions"' in text


def test_copying_the_good_bank_keeps_task_paths_relative(tmp_path):
    shutil.copytree(GOOD, tmp_path / "copy")
    bank = load_bank([tmp_path / "copy"], include_bundled=False, env={})
    task = bank.tasks()[0]
    assert bank.resolve(task.id, task.reference).is_relative_to((tmp_path / "copy").resolve())


def test_a_file_with_too_many_problems_is_reported_up_to_a_cap_then_in_one_line(tmp_path):
    """A damaged or generated file gets its first problems and one line for the rest,
    at the first entry not checked; the other files are still checked in full."""
    from quizzer.bank import validate_paths
    from quizzer.bank.loader import MAX_PROBLEMS_PER_FILE

    extra = 7
    body = "questions:\n" + "".join(f"  - {n}\n" for n in range(MAX_PROBLEMS_PER_FILE + extra))
    (tmp_path / "junk.yaml").write_text(body, encoding="utf-8")
    (tmp_path / "other.yaml").write_text("questions:\n  - 1\n  - 2\n", encoding="utf-8")
    problems = validate_paths([tmp_path], require_translations=False)
    junk = [p for p in problems if p.path.name == "junk.yaml"]
    assert len(junk) == MAX_PROBLEMS_PER_FILE + 1
    (last,) = [p for p in junk if "stopped after" in p.message]
    assert f"the {extra} entries from here on were not checked" in last.message
    assert last.line == MAX_PROBLEMS_PER_FILE + 2  # entry 101, below "questions:"
    assert len([p for p in problems if p.path.name == "other.yaml"]) == 2

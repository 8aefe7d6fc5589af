"""The bundled coding tasks help the learner: each starter's docstring names the real
command that judges it (it parses with the real `quizzer judge`, names the task, and
the file the practice UI writes, which gets its full path there), and each task has
tiered hints and an explanation in English and Chinese."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest
import typer

from quizzer.bank.loader import load_bank
from quizzer.bank.models import Coding
from quizzer.cli import build_app
from quizzer.tui import submissions
from quizzer.tui.screens.coding import submission_path

REPO = Path(__file__).resolve().parents[1]
BANK = load_bank([REPO / "questions"], include_bundled=False, env={})
TASKS = BANK.tasks()
JUDGE = typer.main.get_command(build_app("judge")).commands["judge"]  # type: ignore[attr-defined]
COMMAND = re.compile(r"^\s*(quizzer judge .+)$", re.M)


def docstring(task: Coding) -> str:
    source = BANK.resolve(task.id, task.starter).read_text("utf-8")
    return ast.get_docstring(ast.parse(source)) or ""


def test_every_bundled_task_is_here():
    folders = sorted(p.parent.name for p in (REPO / "questions" / "tasks").glob("*/task.yaml"))
    assert sorted(t.id for t in TASKS) == folders  # each folder's task loads, under its name
    assert len(TASKS) >= 15


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_the_starter_names_a_judge_command_that_parses(task: Coding):
    commands = COMMAND.findall(docstring(task))
    assert commands == [submissions.starter_command(task.id)], docstring(task)
    words = shlex.split(commands[0])
    assert words[:2] == ["quizzer", "judge"]
    params = JUDGE.make_context("judge", words[2:]).params  # click's own parsing
    assert params["task"] == task.id and params["task"] in BANK
    (file,) = params["files"]
    assert Path(file) == submission_path(Path("submissions"), task)


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_the_written_starter_names_the_file_it_is_written_to(task: Coding, tmp_path):
    starter = BANK.resolve(task.id, task.starter).read_text("utf-8")
    path = submission_path(tmp_path / "my submissions", task)
    written = submissions.personalised(starter, path, task.id)
    assert f"quizzer judge {shlex.quote(str(path))} --task {task.id}" in written
    (command,) = COMMAND.findall(ast.get_docstring(ast.parse(written)) or "")
    (file,) = JUDGE.make_context("judge", shlex.split(command)[2:]).params["files"]
    assert Path(file) == path
    assert written.replace(submissions.judge_command(path, task.id), "") == starter.replace(
        submissions.starter_command(task.id), ""
    )  # nothing else changes


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_each_task_has_tiered_hints_and_an_explanation_in_both_languages(task: Coding):
    assert 2 <= len(task.hints) <= 3, task.id
    for text in (*task.hints, task.explanation):
        assert isinstance(text, dict) and text.get("en", "").strip() and text.get("zh", "")
        assert re.search(r"[\u4e00-\u9fff]", text["zh"]) or "`" in text["zh"], text
    assert len(task.explanation["en"]) >= 250  # type: ignore[index]

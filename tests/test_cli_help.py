"""Every command and sub-command has help text and is named in README.md. The tree is
walked from the real click app, so a command added anywhere is checked too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from quizzer.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def walk(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """(path, command) for `command` and every visible command below it. Typer ships
    its own copy of click, so groups are recognised by their `commands` mapping."""
    found = [(path, command)]
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        if not getattr(sub, "hidden", False):
            found += walk(sub, (*path, name))
    return found


COMMANDS = walk(typer.main.get_command(app), ("quizzer",))


def test_the_walk_finds_the_bank_commands():
    names = {" ".join(path) for path, _ in COMMANDS}
    for sub in ("validate", "list", "show", "new", "verify", "stats"):
        assert f"quizzer bank {sub}" in names


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_text(path, command):
    text = (command.help or command.short_help or "").strip()
    assert text, f"`{' '.join(path)}` has no help text"


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_is_named_in_the_readme(path, command):
    name = " ".join(path)
    assert name in README, f"README.md does not mention `{name}`"


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_runs_for_every_command(run_cli, path, command):
    result = run_cli(*path[1:], "--help")
    assert result.exit_code == 0, result.stderr
    assert "Usage" in result.stdout

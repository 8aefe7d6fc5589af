"""The import boundaries hold at run time: the bank pulls in neither torch, textual
nor typer; the CLI (and `quizzer --help`) never imports torch; a cold judge call can
start its sandbox before the bank's models load. Each check runs in a fresh
interpreter and looks at `sys.modules`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "textual", "typer")


def loaded_after(code: str) -> set[str]:
    """Run `code` in a fresh interpreter; return the modules it loaded."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def modules_after(code: str) -> set[str]:
    """Run `code` in a fresh interpreter; return the top-level modules it loaded."""
    return {name.split(".")[0] for name in loaded_after(code)}


@pytest.mark.parametrize(
    "module",
    [
        "quizzer.bank",
        "quizzer.bank.loader",
        "quizzer.bank.grading",
        "quizzer.bank.models",
        "quizzer.bank.snippets",
        "quizzer.bank.scaffold",
    ],
)
def test_the_bank_imports_neither_torch_textual_nor_typer(module):
    loaded = modules_after(f"import {module}")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_loading_and_grading_the_bank_stays_light():
    code = (
        "from pathlib import Path\n"
        "from quizzer.bank import load_bank, validate_paths\n"
        "from quizzer.bank.grading import grade\n"
        "good = Path('tests/bank_fixtures/good')\n"
        "bank = load_bank([good], include_bundled=False, env={})\n"
        "assert not validate_paths([good])\n"
        "grade(bank.get('fixture-single'), 'a')\n"
    )
    assert not modules_after(code) & set(HEAVY)


def test_importing_the_cli_does_not_import_torch():
    assert "torch" not in modules_after("import quizzer.cli")


def test_quizzer_help_does_not_import_torch():
    code = (
        "import sys\n"
        "from quizzer.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
    )
    assert "torch" not in modules_after(code)


@pytest.mark.slow
def test_the_probe_would_see_torch_if_it_were_imported():
    # Guards the helper above: a boundary test that cannot see torch proves nothing.
    assert "torch" in modules_after("import torch")


def test_bank_commands_do_not_import_torch():
    code = (
        "from quizzer.cli import main\n"
        "for args in (['bank', 'validate', 'tests/bank_fixtures/good'],\n"
        "             ['bank', 'list', '--bank', 'tests/bank_fixtures/good'],\n"
        "             ['bank', 'stats', '--bank', 'tests/bank_fixtures/good']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), (args, exc.code)\n"
    )
    assert not modules_after(code) & {"torch", "textual"}


def test_the_process_sandbox_starts_before_the_banks_models_load():
    """A cold `quizzer judge` starts the sandbox's warm parent first: its torch import
    is the call's critical path, and the bank's models take tens of milliseconds."""
    loaded = loaded_after(
        "from quizzer.judge import sandbox\nfrom quizzer.judge.sandbox import process\n"
        "from quizzer.judge.scale import choice"  # the backend options, checked first
    )
    assert "quizzer.judge.sandbox.process" in loaded  # the probe sees what it imports
    assert "quizzer.judge.scale.choice" in loaded
    assert "quizzer.bank.models" not in loaded

"""`quizzer` and `quizzer practice` open the practice UI on the right bank, store
and language; bad options and bad banks are exit 2 before any screen opens."""

from __future__ import annotations

import pytest
from test_tui_support import write_bank

from quizzer.tui.app import QuizzerApp


@pytest.fixture
def opened(monkeypatch, tmp_path):
    """Instead of taking over the terminal, record the app that would run."""
    apps: list[QuizzerApp] = []
    monkeypatch.setattr(QuizzerApp, "run", lambda self, *a, **k: apps.append(self))
    monkeypatch.setenv("QUIZZER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QUIZZER_BANK", raising=False)
    return apps


def test_no_arguments_opens_the_ui_on_the_bundled_bank(run_cli, opened):
    result = run_cli()
    assert result.exit_code == 0, result.stderr
    (app,) = opened
    assert len(app.bank.tasks()) >= 1 and len(app.bank) > 8
    assert app.store.path is not None and "data" in str(app.store.path)


def test_practice_with_an_extra_bank_and_a_language(run_cli, opened, tmp_path):
    extra = write_bank(tmp_path)
    result = run_cli("practice", "--bank", extra, "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    (app,) = opened
    assert "pick-one" in app.bank and app.lang == "zh"


def test_an_unknown_language_is_a_usage_error(run_cli, opened):
    result = run_cli("practice", "--lang", "fr")
    assert result.exit_code == 2 and "--lang" in result.stderr
    assert opened == []


def test_a_missing_bank_folder_is_exit_2_before_the_ui(run_cli, opened, tmp_path):
    result = run_cli("practice", "--bank", tmp_path / "nowhere")
    assert result.exit_code == 2 and "nowhere" in result.stderr
    assert opened == []


def test_a_broken_progress_store_is_kept_aside_and_the_ui_opens_on_a_fresh_one(
    run_cli, opened, tmp_path
):
    """A file that is not a database is never lost or overwritten: it is kept as a
    copy, the UI opens on a fresh store and says what happened."""
    data = tmp_path / "data"
    data.mkdir()
    garbage = b"not a database" * 200
    (data / "progress.sqlite3").write_bytes(garbage)
    result = run_cli("practice")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    (kept,) = data.glob("progress.sqlite3.damaged-*")
    assert kept.read_bytes() == garbage
    (app,) = opened
    assert app.store.recovery is not None and str(kept.name) in app.store.recovery.message


def test_practice_help_names_its_options(run_cli):
    result = run_cli("practice", "--help")
    assert result.exit_code == 0
    assert "--bank" in result.stdout and "--lang" in result.stdout

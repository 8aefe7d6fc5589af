"""The practice UI never imports torch, and the progress store imports neither
textual nor torch. Each check runs in a fresh interpreter and reads `sys.modules`
after the code has really run (a deferred import is only proven deferred when
something runs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _all_modules(code: str, tmp_path: Path) -> set[str]:
    """Every module loaded once `code` has run in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=180,
        env={"QUIZZER_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def loaded_after(code: str, tmp_path: Path) -> set[str]:
    """The top-level packages loaded once `code` has run in a fresh interpreter."""
    return {name.split(".")[0] for name in _all_modules(code, tmp_path)}


def test_importing_the_app_does_not_import_torch(tmp_path):
    assert "torch" not in loaded_after("import quizzer.tui.app", tmp_path)


@pytest.mark.slow
def test_running_every_screen_does_not_import_torch(tmp_path):
    code = f"""
import asyncio, sys
sys.path.insert(0, {str(REPO / "tests")!r})
from pathlib import Path
from test_tui_support import make_rig, drive
from quizzer.tui.exam import ExamPlan
rig = make_rig(Path({str(tmp_path)!r}))

async def everywhere(app, pilot):
    await pilot.press("n", "1", "enter", "h", "escape")   # practice
    await pilot.press("s"); await pilot.pause(); await pilot.press("escape")  # stats
    await pilot.press("t", "enter"); await pilot.pause(); await pilot.press("escape")  # coding
    await pilot.press("f"); await pilot.pause(); await pilot.press("escape")  # filters
    app.open_exam(ExamPlan("x", ("pick-one",), 60)); await pilot.pause()
    await app.screen.finish(); await pilot.pause()  # exam and its result
    await pilot.press("l", "ctrl+t"); await pilot.pause()

drive(rig, everywhere)
"""
    loaded = loaded_after(code, tmp_path)
    assert "textual" in loaded  # the probe really ran the UI
    assert "torch" not in loaded


def test_the_store_imports_neither_textual_nor_torch(tmp_path):
    code = (
        "from quizzer.store import open_store\n"
        "from quizzer.store import stats, transfer\n"
        "s = open_store()\n"
        "s.record_attempt(question_id='q', topic='t', qtype='true_false', mode='learn',\n"
        "                 response=True, correct=True, score=1.0, rating=3)\n"
        "transfer.export_progress(s); stats.summary(s)\n"
    )
    loaded = loaded_after(code, tmp_path)
    assert not loaded & {"textual", "torch", "typer"}


SCREENS = sorted(
    p.stem for p in (REPO / "quizzer" / "tui" / "screens").glob("*.py") if p.stem != "__init__"
)


def test_every_screen_module_loads_without_the_app(tmp_path):
    """No import circle: a screen is read (and imported) on its own, knowing the app
    only as a `Host`."""
    code = "\n".join(f"import quizzer.tui.screens.{name}" for name in SCREENS)
    loaded = _all_modules(code, tmp_path)
    assert "quizzer.tui.app" not in loaded
    assert {f"quizzer.tui.screens.{n}" for n in SCREENS} <= loaded


def test_a_screen_runs_on_any_host_app(tmp_path):
    """A screen tested alone: the stats screen on a bare app that provides the
    `Host` protocol's data, with no QuizzerApp anywhere."""
    code = f"""
import asyncio, sys
from datetime import datetime, timezone
sys.path.insert(0, {str(REPO / "tests")!r})
from textual.app import App
from test_tui_support import load_test_bank
from quizzer.store import Store
from quizzer.tui.screens.stats import StatsScreen

class Bare(App):
    lang, tz = "zh", timezone.utc
    def __init__(self):
        super().__init__()
        self.bank = load_test_bank(__import__("pathlib").Path({str(tmp_path)!r}))
        self.store = Store(":memory:")
        self.now = lambda: datetime(2025, 3, 10, tzinfo=timezone.utc)

async def main():
    app = Bare()
    async with app.run_test() as pilot:
        await app.push_screen(StatsScreen())
        await pilot.pause()
        assert app.screen.sub_title == "统计", app.screen.sub_title
        print("SHOWN", flush=True)

asyncio.run(main())
"""
    assert "quizzer.tui.app" not in _all_modules(code, tmp_path)

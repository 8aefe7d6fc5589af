"""The coding screen's help and its file: `h` shows the task's hints tier by tier (each
recorded, as a concept question's are), a pass shows the task's explanation, and the
learner's file lives in a folder that does not depend on where the app was started
(shown in full; the starter written there names the command that judges it).

A stand-in judge script passes a file that contains "PASS" (see test_tui_support)."""

from __future__ import annotations

import pytest
from test_tui_support import FakeClock, Rig, drive, make_rig, wait_for, write_bank
from textual.widgets import Markdown, Static

from quizzer.bank.loader import load_bank
from quizzer.store import Store
from quizzer.tui import submissions
from quizzer.tui.app import QuizzerApp
from quizzer.tui.screens.coding import CodingScreen

pytestmark = pytest.mark.slow  # each test drives the whole app (Pilot)

HINTS = """\
    hints:
      - {en: "One layer is enough.", zh: "一层就够了。"}
      - {en: "`torch.nn.Linear(4, 2)`", zh: "`torch.nn.Linear(4, 2)`，直接返回它的输出。"}
"""
PASSING = "class TinyLinear:  # PASS\n    pass\n"


def rig_with_hints(root) -> Rig:
    """The test bank, its task given two hint tiers."""
    folder = write_bank(root)
    task_yaml = folder / "tasks" / "tiny-linear" / "task.yaml"
    text = task_yaml.read_text("utf-8")
    task_yaml.write_text(
        text.replace("    starter: starter.py\n", HINTS + "    starter: starter.py\n")
    )
    bank = load_bank([folder], include_bundled=False, env={})
    return Rig(bank, Store(root / "progress.sqlite3"), FakeClock(), root, [])


@pytest.fixture
def rig(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_JUDGE_PID", str(tmp_path / "judge.pids"))
    rig = rig_with_hints(tmp_path)
    yield rig
    rig.store.close()


async def open_task(app, pilot) -> CodingScreen:
    await pilot.press("t", "enter")
    await pilot.pause()
    assert isinstance(app.screen, CodingScreen)
    return app.screen


def hints_on(screen) -> list[str]:
    return [w.source for w in screen.query("#hints Markdown").results(Markdown)]


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


# --- hints -------------------------------------------------------------------------------


def test_h_shows_the_hints_tier_by_tier_and_records_each(rig):
    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        assert hints_on(screen) == []
        await pilot.press("h")
        await pilot.pause()
        assert hints_on(screen) == ["**Hint 1/2:** One layer is enough."]
        await pilot.press("h")
        await pilot.pause()
        assert hints_on(screen)[1] == "**Hint 2/2:** `torch.nn.Linear(4, 2)`"
        await pilot.press("h")
        await pilot.pause()
        assert len(hints_on(screen)) == 2
        assert "That was the last hint." in notes(app)

    drive(rig, scenario)
    assert rig.store.hints_used("tiny-linear") == 2


def test_hints_taken_stay_on_a_language_switch_in_the_new_language(rig):
    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("h", "h", "l")
        await pilot.pause()
        assert hints_on(app.screen) == [
            "**提示 1/2:** 一层就够了。",
            "**提示 2/2:** `torch.nn.Linear(4, 2)`，直接返回它的输出。",
        ]
        assert app.screen is screen

    drive(rig, scenario)
    assert rig.store.hints_used("tiny-linear") == 2


def test_a_task_without_hints_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_JUDGE_PID", str(tmp_path / "judge.pids"))
    plain = make_rig(tmp_path)

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("h")
        await pilot.pause()
        assert hints_on(screen) == []
        assert "This task has no hints." in notes(app)

    try:
        drive(plain, scenario)
        assert plain.store.hints_used("tiny-linear") == 0
    finally:
        plain.store.close()


def test_hints_after_a_pass_are_shown_but_not_recorded(rig):
    rig.store.record_task_result("tiny-linear", "x.py", "pass")

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("h")
        await pilot.pause()
        assert len(hints_on(screen)) == 1

    drive(rig, scenario)
    assert rig.store.hints_used("tiny-linear") == 0


# --- the explanation after a pass ------------------------------------------------------


def test_the_explanation_appears_once_the_task_is_passed(rig):
    folder = rig.submissions
    folder.mkdir()
    (folder / "tiny_linear.py").write_text("class TinyLinear:\n    pass\n")

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        assert not screen.query("#task-explanation")
        await pilot.press("j")
        await wait_for(pilot, lambda: rig.of(QuizzerApp.JudgeFinished))
        await pilot.pause()
        assert not screen.query("#task-explanation")  # failed: not yet
        (folder / "tiny_linear.py").write_text(PASSING)
        await pilot.press("j")
        await wait_for(pilot, lambda: len(rig.of(QuizzerApp.JudgeFinished)) == 2)
        await wait_for(pilot, lambda: bool(screen.query("#task-explanation")))
        shown = screen.query_one("#task-explanation", Markdown)
        assert shown.source.strip() == "One nn.Linear is enough."
        assert str(screen.query_one("#explanation-heading", Static).content) == "Why"
        await pilot.press("j")  # a second pass adds no second copy
        await wait_for(pilot, lambda: len(rig.of(QuizzerApp.JudgeFinished)) == 3)
        await pilot.pause()
        assert len(screen.query("#task-explanation")) == 1

    drive(rig, scenario)


def test_a_task_passed_before_shows_its_explanation_at_once_in_the_language(rig):
    rig.store.record_task_result("tiny-linear", "x.py", "pass")

    async def scenario(app, pilot):
        await open_task(app, pilot)
        await pilot.press("l")
        await pilot.pause()
        shown = app.screen.query_one("#task-explanation", Markdown)
        assert shown.source.strip() == "一个 nn.Linear 就够了。"

    drive(rig, scenario)


# --- the submissions folder ------------------------------------------------------------


def test_the_folder_is_in_the_data_dir_unless_quizzer_submissions_says(tmp_path):
    data = {"QUIZZER_DATA_DIR": str(tmp_path / "data")}
    assert submissions.submissions_dir(data) == tmp_path / "data" / "submissions"
    chosen = {**data, "QUIZZER_SUBMISSIONS": str(tmp_path / "mine")}
    assert submissions.submissions_dir(chosen) == tmp_path / "mine"


def test_the_folder_never_depends_on_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("QUIZZER_SUBMISSIONS", raising=False)
    monkeypatch.setenv("QUIZZER_DATA_DIR", str(tmp_path / "data"))
    seen = set()
    for where in ("a", "b"):
        (tmp_path / where).mkdir()
        monkeypatch.chdir(tmp_path / where)
        seen.add(submissions.submissions_dir())
    assert seen == {tmp_path / "data" / "submissions"}
    # a relative $QUIZZER_SUBMISSIONS is taken from where quizzer starts, then fixed
    monkeypatch.setenv("QUIZZER_SUBMISSIONS", "work")
    assert submissions.submissions_dir() == tmp_path / "b" / "work"


def test_the_app_defaults_to_that_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZZER_SUBMISSIONS", str(tmp_path / "mine"))
    plain = make_rig(tmp_path)
    try:
        from quizzer.tui.app import make_app

        assert make_app(plain.bank, plain.store).submissions_dir == tmp_path / "mine"
    finally:
        plain.store.close()


def test_shown_paths_are_full_with_home_as_a_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    inside = tmp_path / "home" / ".local" / "share" / "quizzer" / "submissions" / "simple_nn.py"
    assert submissions.shown(inside) == "~/.local/share/quizzer/submissions/simple_nn.py"
    assert submissions.shown(tmp_path / "x.py") == str(tmp_path / "x.py")


def test_the_screen_shows_the_files_full_path_before_and_after_it_exists(rig, monkeypatch):
    monkeypatch.setenv("HOME", str(rig.root.parent))  # tmp_path shows as ~/<its name>

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        full = f"~/{rig.root.name}/submissions/tiny_linear.py"
        line = str(screen.query_one("#file-line", Static).content)
        assert line == f"Your file: {full} (not written yet: press s for the starter)"
        await pilot.press("s")
        await pilot.pause()
        assert str(screen.query_one("#file-line", Static).content) == f"Your file: {full}"
        assert f"Starter written to {full}" in notes(app)

    drive(rig, scenario)


def test_the_written_starter_names_the_command_that_judges_the_file(rig):
    starter = rig.bank.resolve("tiny-linear", "starter.py")
    template = (
        '"""tiny-linear.\n\nJudge your solution with:\n\n'
        "    quizzer judge submissions/tiny_linear.py --task tiny-linear\n"
        '"""\n\n\nclass TinyLinear:\n    pass\n'
    )
    starter.write_text(template, encoding="utf-8")
    rig.submissions.mkdir()
    folder = rig.submissions / "my work"  # a space: the command quotes the path
    app_options = {"submissions_dir": folder}

    async def scenario(app, pilot):
        await open_task(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        written = (folder / "tiny_linear.py").read_text("utf-8")
        assert f"    quizzer judge '{folder}/tiny_linear.py' --task tiny-linear\n" in written
        assert written.count("quizzer judge") == 1
        await pilot.press("s")  # the same starter again: kept, nothing to ask
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert any(n.startswith("Kept your file") for n in notes(app))

    drive(rig, scenario, **app_options)

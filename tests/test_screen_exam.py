"""`quizzer exam SCREEN.yaml --candidate ID`: the candidate's paper in the practice
UI's exam mode (driven headless here), writing the same answers.yaml that `screen
grade` reads."""

from __future__ import annotations

import asyncio
import json

import pytest

from quizzer.commands.screen import run_exam
from quizzer.screen.answers import read_answers, responses_from_exam
from quizzer.screen.load import load_screen
from quizzer.screen.paper import build_paper
from tests.screen_fixtures.support import CONCEPTS_ONLY, write_screen


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZZER_DATA_DIR", str(tmp_path / "data"))
    return load_screen(write_screen(tmp_path, CONCEPTS_ONLY))


def headless(*keys: str):
    """Run the app headless, press `keys`, then finish the exam (f, y)."""

    def launch(app) -> None:
        async def go() -> None:
            async with app.run_test(size=(100, 40)) as pilot:
                await pilot.pause()
                for key in keys:
                    await pilot.press(key)
                    await pilot.pause()
                app.plan_seen = app.screen.plan
                for key in ("f", "y"):
                    await pilot.press(key)
                    await pilot.pause()

        asyncio.run(go())

    return launch


@pytest.mark.slow
def test_the_exam_asks_the_paper_and_writes_answers_yaml(loaded, tmp_path):
    paper = build_paper(loaded, "alice")
    apps = []

    def launch(app) -> None:
        apps.append(app)
        headless("1", "enter")(app)  # q1 is pub-single: option 1 is 'a'

    folder = tmp_path / "paper"
    written = run_exam(loaded, "alice", folder, "en", launch=launch)
    assert written == folder / "answers.yaml"
    [app] = apps
    assert app.plan_seen.question_ids == tuple(i.question_id for i in paper.questions())
    assert (folder / "paper.md").is_file()  # the paper was written first
    answers = read_answers(written, paper)
    assert answers.candidate == "alice"
    assert answers.responses["q1"] == "a"
    assert all(answers.responses[label] is None for label in paper.labels()[1:])
    # the time spent on each question travels with the answers, for the reviewer
    assert set(answers.seconds) <= set(paper.labels()) and "q1" in answers.seconds
    assert all(v >= 0 for v in answers.seconds.values())


@pytest.mark.slow
def test_an_unfinished_exam_leaves_answers_yaml_alone(loaded, tmp_path):
    folder = tmp_path / "paper"

    def launch(app) -> None:
        async def go() -> None:
            async with app.run_test(size=(100, 40)) as pilot:
                await pilot.pause()

        asyncio.run(go())

    assert run_exam(loaded, "alice", folder, "en", launch=launch) is None
    before = (folder / "answers.yaml").read_text()
    assert run_exam(loaded, "alice", folder, "en", launch=launch) is None
    assert (folder / "answers.yaml").read_text() == before


def test_exam_answers_map_to_labels_and_skip_what_is_not_on_the_paper(loaded):
    paper = build_paper(loaded, "alice")
    first, second = paper.questions()[:2]
    recorded = [
        {"question_id": first.question_id, "response": "b"},
        {"question_id": second.question_id, "response": ["a"]},
        {"question_id": "not-on-the-paper", "response": "x"},
        {"question_id": paper.questions()[2].question_id, "response": None},
    ]
    assert responses_from_exam(paper, json.loads(json.dumps(recorded))) == {
        first.label: "b",
        second.label: ["a"],
    }


def test_the_exam_command_is_registered(run_cli):
    result = run_cli("exam", "--help")
    assert result.exit_code == 0
    assert "--candidate" in result.stdout
    bad = run_cli("exam", "examples/screens/pytorch-screen.yaml")
    assert bad.exit_code == 2 and "--candidate ID is required" in bad.stderr


def test_the_screen_exam_never_shows_the_answer_keys(loaded, tmp_path):
    """A candidate's exam ends on 'answers recorded', with no score and no right answers."""
    seen: dict[str, object] = {}

    def launch(app) -> None:
        async def go() -> None:
            async with app.run_test(size=(100, 40)) as pilot:
                await pilot.pause()
                for key in ("1", "enter", "f", "y"):
                    await pilot.press(key)
                    await pilot.pause()
                seen["reveal"] = app.screen.result.plan.reveal
                seen["tables"] = len(app.screen.query("#exam-answers DataTable, DataTable"))
                seen["heading"] = str(app.screen.query_one("#exam-score").render())

        asyncio.run(go())

    run_exam(loaded, "alice", tmp_path / "paper", "en", launch=launch)
    assert seen["reveal"] is False
    assert seen["tables"] == 0
    assert "recorded" in seen["heading"]


def test_seconds_travel_from_the_exam_to_the_results(loaded, tmp_path):
    from quizzer.screen.answers import answers_text, seconds_from_exam
    from quizzer.screen.paper import question_of

    paper = build_paper(loaded, "alice")
    first = paper.questions()[0]
    recorded = [{"question_id": first.question_id, "response": "a", "duration_ms": 12_345}]
    seconds = seconds_from_exam(paper, recorded)
    assert seconds == {first.label: 12.345}
    questions = {i.label: question_of(loaded, i) for i in paper.questions()}
    path = tmp_path / "answers.yaml"
    path.write_text(answers_text(paper, questions, {first.label: "a"}, seconds))
    answers = read_answers(path, paper)
    assert answers.seconds == {first.label: 12.3}


def _launch(script):
    """Run the app headless and run `script(app, pilot)` in it."""

    def launch(app) -> None:
        async def go() -> None:
            async with app.run_test(size=(100, 40)) as pilot:
                await pilot.pause()
                await script(app, pilot)

        asyncio.run(go())

    return launch


@pytest.mark.slow
def test_the_exam_is_a_locked_room(loaded, tmp_path):
    """No palette, no home or other screen, and q asks before it leaves."""
    from quizzer.tui.screens.confirm import ConfirmScreen
    from quizzer.tui.screens.exam import ExamScreen
    from quizzer.tui.screens.home import HomeScreen

    seen = {}

    async def script(app, pilot) -> None:
        assert not any(isinstance(s, HomeScreen) for s in app.screen_stack)
        assert isinstance(app.screen, ExamScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, ExamScreen)  # no command palette
        for action in ("home", "stats", "exam", "review", "learn", "filters", "command_palette"):
            assert app.check_action(action, ()) is False, action
        assert list(app.get_system_commands(app.screen)) == []
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # asks first
        await pilot.press("n")
        await pilot.pause()
        seen["still"] = isinstance(app.screen, ExamScreen) and app.is_running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

    assert run_exam(loaded, "alice", tmp_path / "paper", "en", launch=_launch(script)) is None
    assert seen["still"]


@pytest.mark.slow
def test_the_clock_and_the_answers_survive_a_restart(loaded, tmp_path):
    from quizzer.store import open_store

    paper = build_paper(loaded, "alice")
    first = {}

    async def answer_then_leave(app, pilot) -> None:
        await pilot.press("1", "enter")  # q1: option 1
        await pilot.pause()
        first["ends_at"] = app.screen.ends_at
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

    second = {}

    async def look(app, pilot) -> None:
        screen = app.screen
        second["ends_at"] = screen.ends_at
        second["q1"] = screen.answers[0].response
        second["remaining"] = screen.remaining
        for key in ("f", "y"):
            await pilot.press(key)
            await pilot.pause()

    folder = tmp_path / "paper"
    assert run_exam(loaded, "alice", folder, "en", launch=_launch(answer_then_leave)) is None
    written = run_exam(loaded, "alice", folder, "en", launch=_launch(look))
    assert second["ends_at"] == first["ends_at"] is not None  # the same end, not a new one
    assert second["remaining"] < 3600  # the hour the untimed paper gets, already running
    assert second["q1"] == "a"  # kept through the restart
    assert read_answers(written, paper).responses["q1"] == "a"
    with open_store() as store:
        kept = [v for k, v in store.settings().items() if k.startswith("screen-exam:")]
    assert kept == [{"finished": True}]
    # finished means finished: no second attempt
    again = run_exam(loaded, "alice", folder, "en", launch=_launch(look))
    assert again is None


def test_a_hiring_exam_exports_nothing_and_has_no_way_home():
    from datetime import datetime, timezone

    from quizzer.tui.exam import ExamPlan, ExamResult
    from quizzer.tui.screens.exam_result import ExamResultScreen

    now = datetime.now(timezone.utc)
    plan = ExamPlan("screen", ("x",), 60, reveal=False, locked=True)
    screen = ExamResultScreen(ExamResult(plan, [], now, now, False, {}, {}))
    assert screen.check_action("export", ()) is False
    assert screen.check_action("home", ()) is False
    practice = ExamResultScreen(ExamResult(ExamPlan("p", ("x",), 60), [], now, now, False, {}, {}))
    assert practice.check_action("export", ()) and practice.check_action("home", ())

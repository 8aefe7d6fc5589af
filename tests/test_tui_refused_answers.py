"""Answers the practice UI refuses instead of grading (issue 15): an empty answer
and, for a numeric question, text that is not a number are neither graded, recorded
nor scheduled, and the field keeps the focus; and answers it now accepts: arithmetic
for a number, and printed output that differs from Python's only in spacing, which
the feedback says was normalised. In English and in Chinese."""

from __future__ import annotations

import pytest
from test_tui_support import FakeClock, Rig, drive
from textual.widgets import Input, Static, TextArea

from quizzer.bank.loader import load_bank
from quizzer.store import Store
from quizzer.tui.app import QuizzerApp
from quizzer.tui.exam import ExamPlan
from quizzer.tui.screens.exam import ExamScreen
from quizzer.tui.screens.practice import PracticeScreen
from quizzer.tui.session import Session

pytestmark = pytest.mark.slow  # each test drives the whole app (Pilot)

#: A code_output question whose answer has spacing Python's printing decides.
SIZE_YAML = """\
questions:
  - id: what-size
    type: code_output
    topic: tensors
    difficulty: easy
    prompt: {en: "What does this print?", zh: "这段代码打印什么？"}
    code: |
      import torch
      print(torch.zeros(2, 5, 3).shape)
    answer: "torch.Size([2, 5, 3])"
    explanation: {en: "shape is a torch.Size.", zh: "shape 是 torch.Size。"}
"""


@pytest.fixture
def size_rig(tmp_path):
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    (bank_dir / "sizes.yaml").write_text(SIZE_YAML, encoding="utf-8")
    bank = load_bank([bank_dir], include_bundled=False, env={})
    rig = Rig(bank, Store(tmp_path / "progress.sqlite3"), FakeClock(), tmp_path, [])
    yield rig
    rig.store.close()


async def open_question(app, pilot, qid: str) -> PracticeScreen:
    app.open_session(Session("practice", "test", [qid]))
    await pilot.pause()
    assert isinstance(app.screen, PracticeScreen)
    return app.screen


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def nothing_recorded(rig, qid: str) -> None:
    assert rig.store.attempts(qid) == []
    assert rig.store.card(qid) is None  # not scheduled
    assert rig.of(QuizzerApp.Answered) == []


# --- refused ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "keys", "widget"),
    [
        ("count-params", ["enter"], Input),
        ("count-params", ["space", "space", "enter"], Input),
        ("name-method", ["space", "enter"], Input),
        ("what-prints", ["ctrl+s"], TextArea),
        ("what-prints", ["enter", "space", "enter", "ctrl+s"], TextArea),
    ],
    ids=["numeric", "numeric-spaces", "short-answer-space", "output", "output-blank-lines"],
)
def test_an_empty_text_answer_is_refused_like_an_empty_choice(rig, qid, keys, widget):
    async def scenario(app, pilot):
        screen = await open_question(app, pilot, qid)
        await pilot.press(*keys)
        await pilot.pause()
        assert not screen.query("#feedback")
        assert notes(app) == ["Answer first, or skip (s)."]
        assert isinstance(app.focused, widget) and app.focused.id == "answer"
        assert not screen.session.current.answered

    drive(rig, scenario)
    nothing_recorded(rig, qid)


def test_a_numeric_answer_that_is_not_a_number_is_refused_and_can_be_fixed(rig):
    async def scenario(app, pilot):
        screen = await open_question(app, pilot, "count-params")
        await pilot.press(*"fifty", "enter")
        await pilot.pause()
        assert not screen.query("#feedback")
        assert notes(app) == ["Not a number: type one such as 55, 6/3 or 1e-3."]
        box = screen.query_one("#answer", Input)
        assert app.focused is box and box.value == "fifty"  # kept, to be corrected
        nothing_recorded(rig, "count-params")
        box.value = ""
        await pilot.press(*"10*5+5", "enter")
        await pilot.pause()
        assert "Right" in str(screen.query_one("#verdict", Static).content)

    drive(rig, scenario)
    (attempt,) = rig.store.attempts("count-params")
    assert attempt["correct"] and attempt["response"] in ('"10*5+5"', "10*5+5")


def test_an_expression_or_a_fraction_is_graded_by_its_value(rig):
    async def scenario(app, pilot):
        await open_question(app, pilot, "count-params")
        await pilot.press(*"110/2", "enter")
        await pilot.pause()
        assert "Right" in str(app.screen.query_one("#verdict", Static).content)

    drive(rig, scenario)
    (attempt,) = rig.store.attempts("count-params")
    assert attempt["correct"]


def test_an_open_question_may_still_be_revealed_with_an_empty_draft(rig):
    async def scenario(app, pilot):
        screen = await open_question(app, pilot, "explain-graphs")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.query("#model-answer")
        assert notes(app) == []

    drive(rig, scenario)


def test_refusals_are_in_chinese_in_chinese_mode(rig):
    async def scenario(app, pilot):
        screen = await open_question(app, pilot, "count-params")
        await pilot.press("enter")
        await pilot.press(*"五十五", "enter")
        await pilot.pause()
        assert notes(app) == [
            "请先作答，或按 s 跳过。",
            "这不是一个数：请输入数，例如 55、6/3 或 1e-3。",
        ]
        screen.query_one("#answer", Input).value = "56"
        await pilot.press("enter")
        await pilot.pause()
        shown = " ".join(str(s.content) for s in screen.query("#feedback Static"))
        assert "56 与答案相差 1。" in shown and "off by" not in shown

    drive(rig, scenario, lang="zh")


def test_in_an_exam_enter_on_an_empty_field_still_moves_on(rig):
    plan = ExamPlan("mock", ("count-params", "pick-one"), 600)

    async def scenario(app, pilot):
        screen = app.screen
        assert isinstance(screen, ExamScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.index == 1
        assert screen.answers[0].response is None
        assert notes(app) == []

    drive(rig, scenario, exam=plan)


# --- accepted after normalising -------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "note", "answer_label"),
    [
        ("en", "Accepted: matched after normalising spaces.", "Answer: "),
        ("zh", "已接受：统一空格后与输出一致。", "答案："),
    ],
)
def test_output_differing_only_in_spacing_is_right_and_says_so(size_rig, lang, note, answer_label):
    async def scenario(app, pilot):
        screen = await open_question(app, pilot, "what-size")
        await pilot.press(*"torch.Size([2,5,3])", "ctrl+s")
        await pilot.pause()
        assert "✔" in str(screen.query_one("#verdict", Static).content)
        assert str(screen.query_one("#grade-note", Static).content) == note
        shown = [str(s.content) for s in screen.query("#feedback Static")]
        assert f"{answer_label}torch.Size([2, 5, 3])" in shown  # the exact form

    drive(size_rig, scenario, lang=lang)
    (attempt,) = size_rig.store.attempts("what-size")
    assert attempt["correct"] and attempt["score"] == 1.0


def test_an_exact_output_shows_no_note(size_rig):
    async def scenario(app, pilot):
        screen = await open_question(app, pilot, "what-size")
        await pilot.press(*"torch.Size([2, 5, 3])", "ctrl+s")
        await pilot.pause()
        assert not screen.query("#grade-note")

    drive(size_rig, scenario)


def test_output_with_a_lost_separator_stays_wrong(size_rig):
    async def scenario(app, pilot):
        screen = await open_question(app, pilot, "what-size")
        await pilot.press(*"torch.Size([2, 53])", "ctrl+s")
        await pilot.pause()
        assert "✘" in str(screen.query_one("#verdict", Static).content)
        assert not screen.query("#grade-note")

    drive(size_rig, scenario)
    (attempt,) = size_rig.store.attempts("what-size")
    assert not attempt["correct"]

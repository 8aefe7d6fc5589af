"""English and Chinese, switched at run time and remembered; light and dark themes;
the command palette."""

from __future__ import annotations

import pytest
from test_tui_support import drive
from textual.command import CommandPalette
from textual.widgets import Input, Markdown, Static

from quizzer.tui.i18n import STRINGS, tr
from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.screens.practice import PracticeScreen
from quizzer.tui.screens.stats import StatsScreen
from quizzer.tui.session import Session


def footer_labels(screen) -> set[str]:
    return {b.description for _, b in screen._bindings}


def test_switching_to_chinese_changes_the_ui_and_is_remembered(rig):
    async def scenario(app, pilot):
        assert app.lang == "en"
        await pilot.press("l")
        await pilot.pause()
        assert app.lang == "zh"
        home = app.screen
        assert isinstance(home, HomeScreen)
        headings = [str(s.content) for s in home.query(".heading")]
        assert headings[:2] == ["主题", "编程题（t）"]
        assert "复习" in footer_labels(home)
        assert str(home.query_one("#due-line", Static).content) == "r  0 道题待复习"

    drive(rig, scenario)
    assert rig.store.get_setting("lang") == "zh"

    async def restarted(app, pilot):
        assert app.lang == "zh"
        assert "学新题" in footer_labels(app.screen)
        await pilot.press("l")
        await pilot.pause()
        assert app.lang == "en" and "Learn new" in footer_labels(app.screen)

    drive(rig, restarted)
    assert rig.store.get_setting("lang") == "en"


@pytest.mark.slow
def test_switching_mid_question_keeps_the_typed_answer_and_translates_the_question(rig):
    async def scenario(app, pilot):
        app.open_session(Session("practice", "t", ["count-params"]))
        await pilot.pause()
        await pilot.press("5", "escape", "l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        assert screen.query_one("#prompt", Markdown).source == "nn.Linear(10, 5) 有多少参数？"
        assert screen.query_one(Input).value == "5"
        await pilot.click(Input)
        await pilot.press("5", "enter")
        await pilot.pause()
        assert str(screen.query_one("#verdict", Static).content) == "✔ 正确"

    drive(rig, scenario)


@pytest.mark.slow
def test_screens_below_catch_up_with_the_language_when_shown_again(rig):
    async def scenario(app, pilot):
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        await pilot.press("l")
        await pilot.pause()
        assert "统计" in app.screen.sub_title
        await pilot.press("escape")
        await pilot.pause()
        assert str(app.screen.query(".heading").first().content) == "主题"

    drive(rig, scenario)


def test_lang_option_overrides_the_remembered_language(rig):
    rig.store.set_setting("lang", "zh")

    async def scenario(app, pilot):
        assert app.lang == "en"

    drive(rig, scenario, lang="en")


def test_theme_toggles_between_light_and_dark_and_is_remembered(rig):
    async def scenario(app, pilot):
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert not app.current_theme.dark

    drive(rig, scenario)
    assert rig.store.get_setting("theme") == "textual-light"

    async def restarted(app, pilot):
        assert app.theme == "textual-light"

    drive(rig, restarted)


@pytest.mark.slow
def test_the_command_palette_offers_quizzer_commands(rig):
    async def scenario(app, pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for key in ("cmd.lang", "cmd.theme", "cmd.review", "cmd.learn", "cmd.stats", "cmd.exam"):
            assert tr(key) in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Show stats")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)

    drive(rig, scenario)


def test_every_ui_string_has_both_languages_and_the_same_placeholders():
    import string

    for key, (en, zh) in STRINGS.items():
        assert en.strip() and zh.strip(), key
        fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
        assert fields(en) == fields(zh), key


def test_every_binding_label_is_a_known_string():
    """Key labels are i18n keys, so that the footer follows the language."""
    import importlib
    import pkgutil

    import quizzer.tui.screens as screens
    import quizzer.tui.widgets as widgets
    from quizzer.tui.app import QuizzerApp

    classes = [QuizzerApp]
    for package in (screens, widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            classes += [
                c for c in vars(module).values() if isinstance(c, type) and "BINDINGS" in vars(c)
            ]
    for cls in classes:
        for binding in cls.BINDINGS:
            if binding.show and binding.description:
                assert binding.description in STRINGS, (cls.__name__, binding.description)


@pytest.mark.slow
def test_in_chinese_the_headers_and_session_labels_are_chinese(rig):
    """Difficulty and type names, topic names and session titles follow the language
    of the moment, also for a session begun in English and continued in Chinese."""

    async def scenario(app, pilot):
        await pilot.press("n")  # a learn session, begun in English
        await pilot.pause()
        assert app.screen.sub_title == "Learn new"
        await pilot.press("escape")  # leave it for later
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        home = app.screen
        assert str(home.query_one("#continue-line", Static).content).startswith("c  继续：学习新题")
        await pilot.press("c")
        await pilot.pause()
        practice = app.screen
        assert isinstance(practice, PracticeScreen)
        assert practice.sub_title == "学习新题"
        header = str(practice.query_one("#position", Static).content)
        assert "简单" in header and "单选题" in header and "single_choice" not in header

    drive(rig, scenario)


def test_every_topic_of_the_bundled_bank_has_a_name_in_both_languages():
    from quizzer.bank.loader import load_bank
    from quizzer.tui.i18n import TOPICS, topic_name

    topics = {q.topic for q in load_bank(None).questions}
    assert topics <= set(TOPICS), f"topics without a name: {sorted(topics - set(TOPICS))}"
    assert all(
        topic_name(t, "zh") != topic_name(t, "en") or t in {"nn-module", "torch-func"}
        for t in topics
    )


@pytest.mark.slow
def test_in_chinese_the_coding_screen_says_once_that_the_judge_speaks_english(rig):
    async def scenario(app, pilot):
        await pilot.press("t", "enter")
        await pilot.pause()
        assert not app.screen.query("#judge-english")
        await pilot.press("l")
        await pilot.pause()
        note = app.screen.query_one("#judge-english", Static)
        assert str(note.content) == "评测器的检查结果与说明为英文。"

    drive(rig, scenario)

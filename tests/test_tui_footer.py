"""The footer (`KeysFooter`): it shows the keys that apply now, follows the language
and the keys a screen enables, and is not rebuilt when nothing it shows changed."""

from __future__ import annotations

from test_tui_support import drive
from textual.widgets._footer import FooterKey

from quizzer.tui.screens.practice import PracticeScreen
from quizzer.tui.session import Session
from quizzer.tui.widgets.footer import KeysFooter


def shown(app) -> list[FooterKey]:
    return list(app.screen.query_one(KeysFooter).query(FooterKey))


def labels(app) -> set[str]:
    return {key.description for key in shown(app)}


def test_the_footer_follows_the_keys_and_the_language_and_skips_needless_rebuilds(rig, monkeypatch):
    async def scenario(app, pilot):
        app.open_session(Session("practice", "test", ["pick-one", "count-params"]))
        await pilot.pause()
        assert {"Next", "Skip", "Back"} <= labels(app)

        keys = shown(app)
        app.screen.refresh_bindings()  # nothing it shows changed
        await pilot.pause()
        assert shown(app) == keys  # the same widgets, not rebuilt

        # A key the screen no longer allows leaves the footer.
        monkeypatch.setattr(PracticeScreen, "check_action", lambda self, a, p: a != "skip")
        app.screen.refresh_bindings()
        await pilot.pause()
        assert "Skip" not in labels(app) and "Next" in labels(app)

        await pilot.press("l")  # Chinese
        await pilot.pause()
        assert app.lang == "zh"
        assert "下一题" in labels(app) and "Next" not in labels(app)

    drive(rig, scenario)

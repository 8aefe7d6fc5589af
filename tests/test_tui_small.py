"""Every main screen at the sizes people run terminals at, down to 20x6: nothing
crashes, and the keys still work (the screens scroll; nothing is required to fit)."""

from __future__ import annotations

import asyncio

import pytest
from test_tui_support import make_rig

from quizzer.tui.screens.browser import BrowserScreen
from quizzer.tui.screens.home import HomeScreen
from quizzer.tui.screens.practice import PracticeScreen
from quizzer.tui.screens.settings import SettingsScreen
from quizzer.tui.screens.stats import StatsScreen
from quizzer.tui.screens.summary import SummaryScreen


@pytest.mark.slow
@pytest.mark.parametrize("size", [(120, 40), (60, 15), (20, 6)])
def test_every_screen_works_at_small_sizes(tmp_path, size):
    rig = make_rig(tmp_path)
    app = rig.app()
    seen: list[type] = []

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            seen.append(type(app.screen))
            await pilot.press("n")  # learn: a practice session
            await pilot.pause()
            seen.append(type(app.screen))
            await pilot.press("1", "enter", "n", "l", "l")  # answer, next, language twice
            await pilot.pause()
            await app.push_screen(SummaryScreen(app.screen.session))  # its end
            await pilot.pause()
            seen.append(type(app.screen))
            for _ in range(4):  # Esc: one level up each time, back home
                if isinstance(app.screen, HomeScreen):
                    break
                await pilot.press("escape")
                await pilot.pause()
            for key, screen in (
                ("s", StatsScreen),
                ("slash", BrowserScreen),
                ("o", SettingsScreen),
            ):
                await pilot.press(key)
                await pilot.pause()
                seen.append(type(app.screen))
                assert isinstance(app.screen, screen), (key, app.screen)
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("t", "enter")  # a coding task
            await pilot.pause()
            seen.append(type(app.screen))

    asyncio.run(main())
    rig.store.close()
    assert app._exception is None, app._exception
    assert seen[:3] == [HomeScreen, PracticeScreen, SummaryScreen], seen
    assert seen[-1].__name__ == "CodingScreen"

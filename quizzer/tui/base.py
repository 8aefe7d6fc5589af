"""What every quizzer screen shares: the current language, translated footer key
labels, and rebuilding itself when the language changes.

Screens subclass `LocalScreen` (or `LocalModal`) and write `BINDINGS` descriptions
as i18n keys ("key.next"); `translate_bindings` swaps in the words of the current
language. Screens reach the app through `qapp`, typed as `quizzer.tui.host.Host`, not
as the app itself. Called by `quizzer.tui.app` and every module in
`quizzer.tui.screens`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.app import ComposeResult
from textual.containers import Container
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Header

from quizzer.tui.i18n import STRINGS, tr
from quizzer.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from quizzer.tui.host import Host

T = TypeVar("T")


def translate_bindings(node: DOMNode, lang: str) -> None:
    """Rewrite `node`'s binding descriptions that are i18n keys into `lang`."""
    originals: dict[tuple[str, str], str] = node.__dict__.setdefault("_i18n_keys", {})
    for key, bindings in node._bindings.key_to_bindings.items():
        swapped = []
        for binding in bindings:
            source = originals.setdefault((key, binding.action), binding.description)
            if source in STRINGS:
                binding = replace(binding, description=tr(source, lang))
            swapped.append(binding)
        node._bindings.key_to_bindings[key] = swapped


class _Local:
    """Mixin: language helpers for a screen of the quizzer app."""

    composed_lang: str | None = None
    sub_title: str | None

    @property
    def qapp(self) -> Host:
        return self.app  # type: ignore[attr-defined]

    @property
    def lang(self) -> str:
        return self.qapp.lang

    def t(self, key: str, **values: Any) -> str:
        return tr(key, self.lang, **values)

    def screen_title(self) -> str | None:
        """The header's sub-title in the current language (None: leave it)."""
        return None

    def localize(self) -> None:
        """Translate this screen's key labels and title; called on mount and on a
        language change. (Not from compose: the old header may be going away.)"""
        translate_bindings(self, self.lang)  # type: ignore[arg-type]
        title = self.screen_title()
        if title is not None:
            self.sub_title = title
        self.composed_lang = self.lang
        self.refresh_bindings()  # type: ignore[attr-defined]

    async def relocalize(self) -> None:
        """Rebuild in the current language, keeping the screen's own state."""
        self.localize()
        await self.rebuild()
        self.after_relocalize()

    async def rebuild(self) -> None:
        """Compose the screen's content again (the header and footer stay)."""
        await self.query_one(Body).recompose()  # type: ignore[attr-defined]

    def after_relocalize(self) -> None:
        """Hook: restore focus or drafts after a language rebuild."""


class Body(Container):
    """Everything between a screen's header and footer, composed by the screen's
    `compose_body`; rebuilt on its own, because a header must not be recomposed
    while it is still setting its title."""

    DEFAULT_CSS = "Body { height: 1fr; }"

    def compose(self) -> ComposeResult:
        screen = self.screen
        assert isinstance(screen, LocalScreen)
        yield from screen.compose_body()


class LocalScreen(_Local, Screen[T], Generic[T]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Body()
        yield KeysFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.localize()

    async def on_screen_resume(self) -> None:
        if self.composed_lang is not None and self.composed_lang != self.lang:
            await self.relocalize()


class LocalModal(_Local, ModalScreen[T], Generic[T]):
    def on_mount(self) -> None:
        self.localize()

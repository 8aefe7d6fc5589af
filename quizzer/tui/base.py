"""What every quizzer screen shares: the current language, translated footer key
labels, and rebuilding itself when the language changes.

Screens subclass `LocalScreen` (or `LocalModal`) and write `BINDINGS` descriptions
as i18n keys ("key.next"); `translate_bindings` swaps in the words of the current
language. Called by `quizzer.tui.app` and every module in `quizzer.tui.screens`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from quizzer.tui.i18n import STRINGS, tr

if TYPE_CHECKING:
    from quizzer.tui.app import QuizzerApp

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

    @property
    def qapp(self) -> QuizzerApp:
        return self.app  # type: ignore[attr-defined,no-any-return]

    @property
    def lang(self) -> str:
        return self.qapp.lang

    def t(self, key: str, **values: Any) -> str:
        return tr(key, self.lang, **values)

    def localize(self) -> None:
        """Translate this screen's key labels; called on mount and language change."""
        translate_bindings(self, self.lang)  # type: ignore[arg-type]
        self.composed_lang = self.lang
        self.refresh_bindings()  # type: ignore[attr-defined]

    async def relocalize(self) -> None:
        """Rebuild in the current language, keeping the screen's own state."""
        self.localize()
        await self.recompose()  # type: ignore[attr-defined]
        self.after_relocalize()

    def after_relocalize(self) -> None:
        """Hook: restore focus or drafts after a language rebuild."""


class LocalScreen(_Local, Screen[T], Generic[T]):
    def on_mount(self) -> None:
        self.localize()

    async def on_screen_resume(self) -> None:
        if self.composed_lang is not None and self.composed_lang != self.lang:
            await self.relocalize()


class LocalModal(_Local, ModalScreen[T], Generic[T]):
    def on_mount(self) -> None:
        self.localize()

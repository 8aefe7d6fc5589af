"""`KeysFooter`: Textual's footer, rebuilt only when the keys it shows change.

Textual's `Footer` rebuilds all its key widgets each time its screen announces that
its bindings may have changed, and a screen announces that on every focus change,
every `refresh_bindings()` and every mount: five to eight times for one answer in the
practice screen, each rebuild restyling a dozen widgets. This footer compares what it
would show (key, label, action, enabled, tooltip) with what it shows and rebuilds
only when they differ. Used by every screen (`quizzer.tui.base`) and the exam's
answer sheet.
"""

from __future__ import annotations

from textual.widgets import Footer

Shown = tuple[object, ...]


class KeysFooter(Footer):
    _shown: Shown | None = None

    def _keys_shown(self) -> Shown:
        """What `Footer.compose` reads, in a comparable form."""
        keys = [
            (b.key, b.description, b.action, enabled, tooltip, b.group)
            for (_, b, enabled, tooltip) in self.screen.active_bindings.values()
            if b.show
        ]
        return (*keys, self.compact, self.show_command_palette)

    async def recompose(self) -> None:
        if not self.is_attached:  # its screen went away before this ran
            return
        shown = self._keys_shown()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

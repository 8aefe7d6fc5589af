"""Feeding a sandboxed run its request and reading what it sends back, with the caps
enforced while reading (a flood stops at the cap, it is never buffered first).

Used by `process.py`: the run's stdin gets the request, its reply channel and its
output are read into bounded buffers, and a status channel (written by the trusted
keeper process) says how the run ended. Everything read is untrusted bytes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import selectors
import time

CHUNK = 1 << 16
#: How long the pipes may keep talking once the run is over and its processes killed.
DRAIN_S = 1.0


class Capture:
    def __init__(self, payload: bytes, output_cap: int, reply_cap: int) -> None:
        self.payload = memoryview(payload)
        self.output_cap = output_cap
        self.reply_cap = reply_cap
        self.reply = bytearray()
        self.output = bytearray()
        self.status = bytearray()
        self.timed_out = False
        #: "reply" or "output" when that stream went past its cap.
        self.overflow: str | None = None
        self._fds: dict[str, int] = {}
        self._sent = 0

    def load(self, payload: bytes, output_cap: int) -> None:
        """What to feed the run, and its output cap, for pipes made before they were
        known (a run made ready ahead of its request)."""
        self.payload = memoryview(payload)
        self.output_cap = output_cap

    def make_pipes(self) -> list[int]:
        """Create the pipes; return the run's ends: stdin, reply, output, status."""
        ends = []
        for name, theirs_is_read in (
            ("stdin", True),
            ("reply", False),
            ("output", False),
            ("status", False),
        ):
            r, w = os.pipe2(os.O_CLOEXEC)
            mine, theirs = (w, r) if theirs_is_read else (r, w)
            os.set_blocking(mine, False)
            self._fds[name] = mine
            ends.append(theirs)
        return ends

    def _close(self, name: str, sel: selectors.BaseSelector | None = None) -> None:
        fd = self._fds.pop(name, None)
        if fd is not None:
            if sel is not None:
                with contextlib.suppress(KeyError, ValueError):
                    sel.unregister(fd)
            os.close(fd)

    def pump(self, deadline: float) -> bool:
        """Move bytes until the keeper reports the end of the run (True), the wall
        deadline passes or a stream overflows (False)."""
        sel = selectors.DefaultSelector()
        for name, fd in self._fds.items():
            sel.register(
                fd, selectors.EVENT_WRITE if name == "stdin" else selectors.EVENT_READ, name
            )
        if not self.payload:
            self._close("stdin", sel)
        try:
            while "status" in self._fds and self.overflow is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.timed_out = True
                    return False
                for key, _ in sel.select(min(left, 0.5)):
                    self._service(key.data, sel)
            return self.overflow is None
        finally:
            sel.close()

    def drain(self, timeout: float = DRAIN_S) -> None:
        """After the run's processes are killed: read what is left, up to the caps."""
        sel = selectors.DefaultSelector()
        self._close("stdin")
        for name, fd in self._fds.items():
            sel.register(fd, selectors.EVENT_READ, name)
        end = time.monotonic() + timeout
        try:
            while self._fds and self.overflow is None and time.monotonic() < end:
                for key, _ in sel.select(max(0.0, end - time.monotonic())):
                    self._service(key.data, sel)
        finally:
            sel.close()

    def _service(self, name: str, sel: selectors.BaseSelector) -> None:
        fd = self._fds.get(name)
        if fd is None:
            return
        if name == "stdin":
            try:
                self._sent += os.write(fd, self.payload[self._sent : self._sent + CHUNK])
            except BlockingIOError:
                return
            except OSError as exc:  # the run closed its stdin early: its business
                if exc.errno != errno.EPIPE:
                    raise
                self._sent = len(self.payload)
            if self._sent >= len(self.payload):
                self._close(name, sel)
            return
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        if not data:
            self._close(name, sel)
            return
        buf, cap = {
            "reply": (self.reply, self.reply_cap),
            "output": (self.output, self.output_cap),
            "status": (self.status, 1 << 16),
        }[name]
        room = cap - len(buf)
        buf += data[: max(room, 0)]
        if len(data) > room:
            if name == "status":
                self.status.clear()  # a keeper never says this much: treat as garbled
                self._close(name, sel)
            else:
                self.overflow = name

    def report(self) -> dict:
        """The keeper's status document, or {} when it is missing or garbled."""
        try:
            doc = json.loads(bytes(self.status))
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}

    def output_text(self) -> str:
        text = self.output.decode("utf-8", errors="replace")
        if self.overflow == "output":
            text += f"\n[sandbox] output stopped at the {self.output_cap >> 10} KiB limit"
        return text

    def close(self) -> None:
        for name in list(self._fds):
            self._close(name)

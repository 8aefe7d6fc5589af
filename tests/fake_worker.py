"""A sandbox whose worker is fake and hostile, for the tests of the trusted side.

It reads the judge's request (so it knows the nonce, as a compromised harness would)
and answers with frames built by the real worker's encoder, without running torch
or the submission. Used by tests/test_judge_hostile_replies.py and
tests/test_report_escaping.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from quizzer.judge.sandbox.base import RunOutcome, RunRequest
from quizzer.judge.wire import MAGIC, PREFIX
from quizzer.judge.worker import harness as worker

Reply = Callable[[dict[str, Any]], bytes]


def request_of(payload: bytes) -> dict[str, Any]:
    """The JSON header of the judge's request: nonce, source, checks."""
    _, hlen, _ = PREFIX.unpack_from(payload)
    return json.loads(payload[PREFIX.size : PREFIX.size + hlen])


class FakeSandbox:
    """A sandbox whose worker answers with `reply(request)`."""

    name = "fake"

    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    def protections(self) -> tuple[str, ...]:
        return ("none",)

    def run(self, request: RunRequest) -> RunOutcome:
        reply = self.reply(request_of(request.payload))
        return RunOutcome(reply=reply, exit_code=0, signal=None, wall_s=0.01)

    def close(self) -> None:
        pass


def frames(nonce: str, *headers: dict[str, Any], first_seq: int = 0) -> bytes:
    """Frames with `nonce` and sequence numbers from `first_seq`, as the worker writes."""
    return b"".join(
        worker.encode({"nonce": nonce, "seq": first_seq + i, **h}, [])
        for i, h in enumerate(headers)
    )


def raw_frame(head: bytes, body: bytes = b"") -> bytes:
    """A frame around header bytes the worker's encoder would not write."""
    return PREFIX.pack(MAGIC, len(head), len(body)) + head + body


def no_class(nonce: str, classes: list[str]) -> bytes:
    """hello, a load check that found no class (naming `classes`), end."""
    load = {"kind": "check", "name": "load", "data": {"found": False, "classes": classes}}
    return frames(nonce, {"kind": "hello"}, load, {"kind": "end"})

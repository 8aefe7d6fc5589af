"""The contract between the judge and its sandboxes.

The judge builds a request (the submission's source, the task spec, the probe inputs
it chose) as bytes and hands it to a `Sandbox`. The sandbox runs the standalone
worker (`quizzer/judge/worker/harness.py`, stdlib + torch only) in an isolated place,
feeds it the request on stdin, and collects the bytes it wrote to its reply channel.
Nothing in a `RunOutcome` is trusted: the judge decodes and checks it, and a missing or
garbled reply is never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # the cold call starts its sandbox before the bank's models load
    from quizzer.bank.models import Limits

LimitName = Literal["wall", "cpu", "memory", "processes", "output", "file_size"]


@dataclass(frozen=True)
class RunRequest:
    #: The encoded request the worker reads on stdin.
    payload: bytes
    limits: Limits
    #: "cpu" or "cuda"; a sandbox gives GPU access only for "cuda".
    device: str = "cpu"


@dataclass(frozen=True)
class RunOutcome:
    #: Bytes the worker wrote on its reply channel, capped by the sandbox.
    reply: bytes
    #: Exit status, or None when killed by a signal.
    exit_code: int | None
    signal: int | None
    wall_s: float
    #: The limit that stopped the run, if one did.
    limit_hit: LimitName | None = None
    #: The tail of what the submission printed (stdout and stderr), capped.
    output: str = ""
    #: Names of the protections that were in force, for the report.
    protections: tuple[str, ...] = field(default_factory=tuple)


class Sandbox(Protocol):
    """Runs one worker per request. Implementations must leave no process of the run
    alive and remove its scratch folder before `run` returns."""

    name: str

    def protections(self) -> tuple[str, ...]:
        """Protections this backend gives on this machine (for reports and doctor)."""
        ...

    def run(self, request: RunRequest) -> RunOutcome: ...

    def close(self) -> None:
        """Stop warm workers, if any."""
        ...

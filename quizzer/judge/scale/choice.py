"""Which backend a command asked for: the backends there are, and the rule that an
address names a Ray cluster. Light (no bank models, no Ray), so that `quizzer judge`
checks these options before its cold call starts a sandbox."""

from __future__ import annotations

from quizzer.errors import UsageError

BACKENDS = ("local", "ray")


def check_backend(name: str, address: str | None = None) -> str:
    """`name`, if it is a backend; an `address` is only for the Ray one."""
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    if address and name != "ray":
        raise UsageError("--address names a Ray cluster; add --backend ray")
    return name

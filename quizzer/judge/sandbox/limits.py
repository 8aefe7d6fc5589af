"""Command-line overrides of a task's sandbox limits: `quizzer judge --limit wall=10
--limit memory=4096`. Called by `quizzer.commands.judge`; the defaults stay in the
task spec (`quizzer.bank.models.Limits`)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from quizzer.bank.models import Coding, Limits
from quizzer.errors import UsageError

#: The names a user types (the limit names of reports) -> fields of `Limits`.
ALIASES = {
    "wall": "wall_s",
    "cpu": "cpu_s",
    "memory": "memory_mb",
    "processes": "processes",
    "output": "output_kb",
    "file_size": "file_mb",
}
UNITS = {
    "wall_s": "s",
    "cpu_s": "s",
    "memory_mb": "MB",
    "processes": "",
    "output_kb": "KiB",
    "file_mb": "MB",
}


def parse_overrides(items: Sequence[str]) -> dict[str, float]:
    """{"wall_s": 10.0, ...} from ["wall=10", ...]; field names work too."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        field = ALIASES.get(name.strip(), name.strip())
        if not sep or field not in Limits.model_fields:
            known = ", ".join(f"{k} ({UNITS[v] or 'count'})" for k, v in ALIASES.items())
            raise UsageError(f"--limit {item!r}: expected NAME=VALUE with NAME one of {known}")
        try:
            out[field] = float(value)
        except ValueError:
            raise UsageError(f"--limit {item!r}: {value!r} is not a number") from None
    return out


def with_limits(task: Coding, overrides: dict[str, float]) -> Coding:
    """`task` with its spec's limits changed (checked against the same bounds)."""
    if not overrides:
        return task
    fields = {**task.spec.limits.model_dump(), **overrides}
    for name in ("memory_mb", "processes", "output_kb", "file_mb"):
        fields[name] = int(fields[name])
    try:
        limits = Limits(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"--limit {first['loc'][0]}: {first['msg']}") from None
    return task.model_copy(update={"spec": task.spec.model_copy(update={"limits": limits})})

"""Run the judge as a subprocess and read its live events, so the UI process never
imports torch.

`quizzer judge FILE --task ID --events` prints one JSON object per finished check and
then the result document (the object with `checks`). `run_judge` starts it, hands
each check to a callback as it arrives, and returns the outcome; cancelling the
awaiting task kills the judge's whole process group. Called by the coding screen's
judge worker. No textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Cap on what is kept of the judge's stderr for an error message.
STDERR_CAP = 2000


@dataclass(frozen=True)
class CheckEvent:
    name: str
    status: str
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JudgeOutcome:
    """The end of one judge run. `status` is pass, fail or error."""

    status: str
    message: str
    checks: tuple[CheckEvent, ...]
    document: dict[str, Any] | None
    returncode: int | None


def default_command() -> list[str]:
    return [sys.executable, "-m", "quizzer", "judge"]


def judge_argv(base: Sequence[str], path: Path, task_id: str) -> list[str]:
    return [*base, str(path), "--task", task_id, "--events"]


def check_from(data: dict[str, Any]) -> CheckEvent | None:
    name, status = data.get("name") or data.get("check"), data.get("status")
    if not isinstance(name, str) or not isinstance(status, str):
        return None
    message = data.get("message") or ""
    metrics = data.get("metrics")
    if not isinstance(metrics, dict):
        metrics = {
            k: v
            for k, v in data.items()
            if k not in {"name", "check", "status", "message", "event", "type"}
            and isinstance(v, (int, float, str))
        }
    return CheckEvent(name, status, str(message), metrics)


def parse_line(line: str) -> CheckEvent | dict[str, Any] | None:
    """A check event, the final result document (a dict with `checks`), or None for
    a line that is neither (progress chatter is ignored)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("checks"), list) and "status" in data:
        return data
    inner = data.get("check")
    if isinstance(inner, dict):
        return check_from(inner)
    return check_from(data)


def outcome_from(document: dict[str, Any], returncode: int | None) -> JudgeOutcome:
    checks = tuple(
        c for c in (check_from(x) for x in document.get("checks", []) if isinstance(x, dict)) if c
    )
    status = str(document.get("status", "error"))
    message = str(document.get("message") or "")
    return JudgeOutcome(status, message, checks, document, returncode)


async def run_judge(
    argv: Sequence[str],
    on_check: Callable[[CheckEvent], None],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> JudgeOutcome:
    """Run the judge and stream its checks to `on_check`. The judge decides the
    verdict; a run without a result document is an error, never a pass."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    stderr_task = asyncio.ensure_future(proc.stderr.read())
    document: dict[str, Any] | None = None
    seen: list[CheckEvent] = []
    try:
        async for raw in proc.stdout:
            parsed = parse_line(raw.decode("utf-8", "replace"))
            if isinstance(parsed, CheckEvent):
                seen.append(parsed)
                on_check(parsed)
            elif isinstance(parsed, dict):
                document = parsed
        returncode = await proc.wait()
        stderr = (await stderr_task).decode("utf-8", "replace")
    except BaseException:
        # Cancelled (a newer run, the screen closed) or failed: the judge and
        # everything it started go.
        _kill_group(proc)
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(proc.wait(), timeout=5)
        stderr_task.cancel()
        raise
    if document is not None:
        return outcome_from(document, returncode)
    tail = stderr.strip()[-STDERR_CAP:] or f"the judge exited with status {returncode}"
    return JudgeOutcome("error", tail, tuple(seen), None, returncode)


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()

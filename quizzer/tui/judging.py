"""Run the judge and read its live events, so the UI process never imports torch:
through the resident judge service when one answers (`run_judge_service`), else as a
subprocess (`run_judge`).

`quizzer judge FILE --task ID --events` prints one JSON object per finished check and
then the result document (the object with `checks`); the service streams the same
events over its socket. Both hand each check to a callback as it arrives and return
the outcome. Cancelling the awaiting task kills the subprocess's whole process group,
or cancels that one job in the service. Called by the coding screen's judge worker.
No textual here.
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


async def run_judge_service(
    sock: Path,
    path: Path,
    task_id: str,
    on_check: Callable[[CheckEvent], None],
    *,
    env: dict[str, str] | None = None,
) -> JudgeOutcome:
    """Judge `path` through the service at `sock`: submit a job, stream its events.
    Cancelled, it cancels that job (and only that one)."""
    bank_env = (env or os.environ).get("QUIZZER_BANK")
    request = {"files": [str(path.resolve())], "task": task_id, "bank_env": bank_env}
    status, made = await _http(sock, "POST", "/jobs", request)
    if status != 202 or not isinstance(made.get("id"), str):
        return JudgeOutcome("error", str(made.get("error") or f"HTTP {status}"), (), None, 2)
    job = made["id"]
    reader, writer = await asyncio.open_unix_connection(str(sock))
    document: dict[str, Any] | None = None
    exit_code: int | None = None
    try:
        writer.write(f"GET /jobs/{job}/events HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        await writer.drain()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # status line and headers
        async for raw in reader:
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("event") == "check" and isinstance(event.get("check"), dict):
                found = check_from(event["check"])
                if found is not None:
                    on_check(found)
            elif event.get("event") == "end":
                exit_code = event.get("exit") if isinstance(event.get("exit"), int) else None
                break
            elif isinstance(event.get("checks"), list) and "status" in event:
                document = event
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await _http(sock, "DELETE", f"/jobs/{job}")
        raise
    finally:
        writer.close()
    if document is not None:
        return outcome_from(document, exit_code)
    return JudgeOutcome("error", "the judge service gave no result", (), None, exit_code)


async def _http(sock: Path, method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    """One small JSON request to the service over its socket."""
    data = b"" if body is None else json.dumps(body).encode()
    reader, writer = await asyncio.open_unix_connection(str(sock))
    try:
        head = (
            f"{method} {url} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        writer.write(head.encode() + data)
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        payload = await reader.readexactly(length) if length else b"{}"
    finally:
        writer.close()
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    try:
        doc = json.loads(payload)
    except ValueError:
        doc = {}
    return status, doc if isinstance(doc, dict) else {}


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()

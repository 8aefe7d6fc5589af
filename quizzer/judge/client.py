"""The client side of the judge service: find it, ask it, start and stop it.

Used by `quizzer judge` (which judges through a running service unless told
`--no-server`), by `quizzer server start|stop|status`, and by the practice UI. Only
the standard library: a client never imports torch, pydantic or the bank, so a call
through the service costs an interpreter start plus the judgement.

The protocol is HTTP/1.1 with JSON bodies over a Unix socket (or TCP with a token),
described in docs/judge.md ("The judge service"). The service itself is
`quizzer.judge.service`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Where the service listens unless told otherwise: `$QUIZZER_SERVER_SOCKET`, else
#: `judge.sock` in the user's runtime folder (one service per user).
SOCKET_ENV = "QUIZZER_SERVER_SOCKET"
#: How long a client waits for the service to answer "are you there".
PROBE_TIMEOUT_S = 0.5


class ServiceError(Exception):
    """The service answered with an error, or stopped answering. `usage` is true for
    a request it refused (unknown task, unreadable file): exit 2 in the CLI."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def runtime_dir() -> Path:
    """The user's runtime folder for quizzer ($XDG_RUNTIME_DIR/quizzer on Linux; where
    that is unset, platformdirs' fallback, without its warning on every call)."""
    import warnings

    from platformdirs import user_runtime_dir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Path(user_runtime_dir("quizzer", appauthor=False))


def socket_path() -> Path:
    named = os.environ.get(SOCKET_ENV)
    return Path(named) if named else runtime_dir() / "judge.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def _request(
    path: Path, method: str, url: str, body: dict | None = None, timeout: float | None = None
) -> http.client.HTTPResponse:
    conn = _UnixConnection(path, timeout)
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    conn.request(method, url, body=data, headers=headers)
    return conn.getresponse()


def health(path: Path | None = None, timeout: float = PROBE_TIMEOUT_S) -> dict[str, Any] | None:
    """The service's health document, or None when none answers at `path`."""
    where = path or socket_path()
    if not where.exists():
        return None
    try:
        response = _request(where, "GET", "/health", timeout=timeout)
        if response.status != 200:
            return None
        doc = json.loads(response.read())
    except (OSError, http.client.HTTPException, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("ok") is True else None


def judge_events(request: dict[str, Any], path: Path | None = None) -> Iterator[dict[str, Any]]:
    """Send one judge request and yield its events as they come: `start`, `check`,
    each result document, and last `end` (with the exit code). Raises ServiceError."""
    where = path or socket_path()
    try:
        response = _request(where, "POST", "/judge", {**request, "stream": True}, timeout=None)
    except (OSError, http.client.HTTPException) as exc:
        raise ServiceError(f"the judge service at {where} did not answer: {exc}") from None
    if response.status != 200:
        raise _refusal(response)
    ended = False
    try:
        for raw in response:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            event = json.loads(line)
            if isinstance(event, dict):
                ended = ended or event.get("event") == "end"
                yield event
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ServiceError(
            f"the judge service stopped in the middle of a judgement: {exc}"
        ) from None
    finally:
        response.close()
    if not ended:
        raise ServiceError("the judge service stopped in the middle of a judgement")


def _refusal(response: http.client.HTTPResponse) -> ServiceError:
    try:
        doc = json.loads(response.read())
        message = str(doc.get("error", "")) or f"HTTP {response.status}"
    except (ValueError, AttributeError, OSError):
        message = f"HTTP {response.status}"
    return ServiceError(message, usage=response.status == 400)


def shutdown(path: Path | None = None) -> bool:
    """Ask the service to stop; True when one was there to ask."""
    where = path or socket_path()
    try:
        response = _request(where, "POST", "/shutdown", {}, timeout=5)
        response.read()
    except (OSError, http.client.HTTPException):
        return False
    return response.status == 200


def start(
    *,
    idle_s: float | None = None,
    workers: int | None = None,
    path: Path | None = None,
    wait_s: float = 60.0,
    options: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Start the service in the background (detached, its own session) unless one is
    running, and wait until it answers. Returns its health document. `options` are
    more `quizzer server run` options (`--backend ray --address ...`)."""
    where = path or socket_path()
    found = health(where)
    if found is not None:
        return found
    where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    argv = [sys.executable, "-m", "quizzer", "server", "run", "--socket", str(where)]
    if idle_s is not None:
        argv += ["--idle", str(idle_s)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    argv += options
    log = where.with_suffix(".log")
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        found = health(where)
        if found is not None:
            return found
        if proc.poll() is not None:
            tail = ""
            with contextlib.suppress(OSError):
                tail = log.read_text(errors="replace")[-1500:]
            raise ServiceError(
                f"the judge service exited at start (status {proc.returncode})"
                + (f": {tail}" if tail else "")
            )
        time.sleep(0.05)
    raise ServiceError(f"the judge service did not answer within {wait_s:g} s (log: {log})")

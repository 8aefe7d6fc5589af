"""`quizzer practice --web`: serve the practice UI to a browser with textual-serve.

Called by `quizzer.commands.practice`. textual-serve is a small web server: each browser
tab that connects starts one process running `served_command` (the same `quizzer
practice`, with the same --bank and --lang) under Textual's web driver, and relays its
screen and the tab's keys over a websocket. That process inherits this one's
environment and working directory, so QUIZZER_BANK and QUIZZER_DATA_DIR (and relative
paths in them) mean what they mean here: a browser session records progress in the
same store as the terminal UI.

There is no authentication: whoever reaches the port uses the app, as the user who
started it (the coding screen writes and judges files). Hence loopback by default,
and a warning when the host is anything else.
"""

from __future__ import annotations

import errno
import ipaddress
import shlex
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quizzer.errors import UsageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_local(host: str) -> bool:
    """Whether `host` is a loopback name or address (reachable only from this machine)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def served_command(bank_dirs: Sequence[Path] | None = None, lang: str | None = None) -> str:
    """The shell command textual-serve runs for each browser session: this interpreter
    running `quizzer practice` with the same bank folders (made absolute) and language."""
    argv = [sys.executable, "-m", "quizzer", "practice"]
    for folder in bank_dirs or ():
        argv += ["--bank", str(Path(folder).resolve())]
    if lang is not None:
        argv += ["--lang", lang]
    return shlex.join(argv)


def check_port(host: str, port: int) -> None:
    """Raise `UsageError` unless a server could listen on `host:port` now (a port out of
    range, a host that does not resolve, a port in use or not allowed), so that these
    are one line of advice rather than a traceback from inside the server."""
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, not {port}")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {host!r}: {exc.strerror}; check --host") from None
    bound = 0
    for family, kind, proto, _name, address in found:
        with socket.socket(family, kind, proto) as probe:
            # As the server will: a port in TIME_WAIT is free, one with a listener is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL and len(found) > 1:
                    continue  # e.g. IPv6 switched off: the server skips that family too
                raise UsageError(_bind_advice(host, port, exc)) from None
            bound += 1
    if not bound:
        raise UsageError(f"cannot listen on {url_for(host, port)}: no usable address")


def _bind_advice(host: str, port: int, exc: OSError) -> str:
    where = url_for(host, port)
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use; pick another with --port (or stop what listens on {where})"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; pick a port above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; check --host"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def serve(
    *,
    bank_dirs: Sequence[Path] | None = None,
    lang: str | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    announce: Any = print,
) -> None:
    """Serve the practice UI on `host:port` until Ctrl+C (or SIGTERM). Raises
    `BankError` for a bad bank and `UsageError` for a host or port it cannot use,
    before anything listens. `announce(line)` is told the URL once it is about to."""
    from quizzer.bank.loader import load_bank

    # A bad bank is an error here, not a tab that says "Application failed to start".
    load_bank(list(bank_dirs) if bank_dirs else None)
    check_port(host, port)

    server = _make_server(served_command(bank_dirs, lang), host, port, announce)
    try:
        server.serve()
    except OSError as exc:  # lost the race for the port since check_port
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise UsageError(_bind_advice(host, port, exc)) from None
        raise


def _make_server(command: str, host: str, port: int, announce: Any) -> Any:
    import weakref

    from aiohttp import WSCloseCode, web
    from textual_serve.server import Server

    class PracticeServer(Server):
        def __init__(self) -> None:
            super().__init__(command, host=host, port=port, title="quizzer")
            self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.on_response_prepare.append(self.remember_socket)
            return app

        async def remember_socket(self, request: web.Request, response: web.StreamResponse) -> None:
            if isinstance(response, web.WebSocketResponse):
                self.sockets.add(response)

        async def on_startup(self, app: web.Application) -> None:
            # Instead of textual-serve's banner, which shows the whole command line.
            announce(f"Practice UI at {url_for(host, port)}  (Ctrl+C stops it)")

        async def on_shutdown(self, app: web.Application) -> None:
            # Closing a tab's socket ends its session, which quits its app (so progress
            # is saved and the process is gone). Otherwise aiohttp waits for the
            # sessions to end by themselves, and Ctrl+C takes half a minute.
            for socket_ in list(self.sockets):
                await socket_.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")

        async def handle_index(self, request: web.Request) -> Any:
            # The page tells the browser where the websocket is. textual-serve writes
            # the address it binds, which is no use to a browser elsewhere when that is
            # 0.0.0.0; the address the browser used to get this page always works. The
            # parent builds its links synchronously, so no other request can interleave.
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

    return PracticeServer()

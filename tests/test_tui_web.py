"""`quizzer practice --web` serves the practice UI to a browser with textual-serve.

The first tests run the CLI in-process with the server's `serve` replaced, and read
what it would have served: on which address, which command per browser session, and
what it says about a host other than this machine, a bad port or a port in use. The
last test is the real thing: the server as a subprocess, headless Chromium driven over
the DevTools protocol (through a pipe, so no client library), a question answered with
key presses in the page, and the answer found in the progress store.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_tui_support import write_bank
from textual_serve.server import Server

from quizzer.store import open_store
from quizzer.tui import web

# --- the command line, without serving ----------------------------------------------


@pytest.fixture
def served(monkeypatch, tmp_path):
    """Record the textual-serve servers that would have run, instead of running them."""
    servers: list[Server] = []
    monkeypatch.setattr(Server, "serve", lambda self, debug=False: servers.append(self))
    monkeypatch.setenv("QUIZZER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QUIZZER_BANK", raising=False)
    return servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_web_listens_on_this_machine_only_by_default(run_cli, served, monkeypatch):
    monkeypatch.setattr(web, "check_port", lambda host, port: None)  # 8000 may be in use here
    result = run_cli("practice", "--web")
    assert result.exit_code == 0, result.stderr
    (server,) = served
    assert (server.host, server.port) == ("127.0.0.1", 8000)
    assert "warning" not in result.stderr


def test_each_browser_session_runs_the_same_practice_command(run_cli, served, tmp_path):
    bank = write_bank(tmp_path / "my bank")  # a space: the command goes through a shell
    port = free_port()
    result = run_cli("practice", "--web", "--port", port, "--bank", bank, "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    (server,) = served
    assert server.port == port
    assert shlex.split(server.command) == [
        sys.executable,
        "-m",
        "quizzer",
        "practice",
        "--bank",
        str(bank.resolve()),
        "--lang",
        "zh",
    ]


def test_a_relative_bank_folder_is_made_absolute(run_cli, served, tmp_path, monkeypatch):
    write_bank(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_cli("practice", "--web", "--bank", "bank").exit_code == 0
    assert shlex.split(served[0].command)[-1] == str(tmp_path / "bank")


def test_another_host_is_served_with_a_warning(run_cli, served):
    result = run_cli("practice", "--web", "--host", "0.0.0.0", "--port", free_port())
    assert result.exit_code == 0, result.stderr
    assert served[0].host == "0.0.0.0"
    assert "warning" in result.stderr and "anyone" in result.stderr
    assert "no password" in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.5.5.5"])
def test_loopback_hosts_are_local(host):
    assert web.is_local(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_other_hosts_are_not(host):
    assert not web.is_local(host)


def test_a_port_in_use_is_one_line_of_advice(run_cli, served):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("practice", "--web", "--port", port)
    assert result.exit_code == 2
    assert f"port {port} is in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert served == []


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_a_port_out_of_range_is_a_usage_error(run_cli, served, port):
    result = run_cli("practice", "--web", "--port", port)
    assert result.exit_code == 2 and "--port must be between 1 and 65535" in result.stderr
    assert served == []


def test_a_host_that_does_not_resolve_is_a_usage_error(run_cli, served):
    result = run_cli("practice", "--web", "--host", "no-such-host.invalid")
    assert result.exit_code == 2 and "--host" in result.stderr
    assert "Traceback" not in result.stderr and served == []


def test_host_and_port_need_web(run_cli, served):
    result = run_cli("practice", "--port", "8001")
    assert result.exit_code == 2 and "--web" in result.stderr


def test_a_bad_bank_is_an_error_before_serving(run_cli, served, tmp_path):
    result = run_cli("practice", "--web", "--bank", tmp_path / "nowhere")
    assert result.exit_code == 2 and "nowhere" in result.stderr
    assert served == []


def test_a_bad_language_is_an_error_before_serving(run_cli, served):
    result = run_cli("practice", "--web", "--lang", "fr")
    assert result.exit_code == 2 and "--lang" in result.stderr
    assert served == []


# --- a real browser ---------------------------------------------------------------

#: Runs in the page before its own scripts: a copy of everything the server sends the
#: terminal, so the test can wait for what the screen shows (xterm.js draws on a
#: canvas; there is no text in the DOM to read).
TAP_SCREEN = """
window.__screen = "";
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    const decoder = new TextDecoder();
    this.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.__screen += decoder.decode(event.data, {stream: true});
      }
    });
  }
};
"""

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: it reads commands on fd 3 and answers on fd 4, each
    message JSON ending in a NUL byte), attached to one page."""

    def __init__(self, browser: str, profile: Path, log: Path) -> None:
        to_browser = os.pipe()
        from_browser = os.pipe()
        argv = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # Nothing leaves the machine (the page asks Google for a web font).
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1200,900",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        with open(log, "wb") as stderr:
            self.pid = os.posix_spawn(
                browser,
                argv,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, stderr.fileno(), 1),
                    (os.POSIX_SPAWN_DUP2, stderr.fileno(), 2),
                    (os.POSIX_SPAWN_DUP2, to_browser[0], 3),
                    (os.POSIX_SPAWN_DUP2, from_browser[1], 4),
                ],
                setsid=True,  # its own process group, so that all of it can be killed
            )
        os.close(to_browser[0])
        os.close(from_browser[1])
        self.out, self.into = from_browser[0], to_browser[1]
        self.pending = b""
        self.next_id = 0
        self.session: str | None = None

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        os.write(self.into, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, (method, reply["error"])
                return reply.get("result", {})

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.out], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.out, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.pending += chunk
        message, _, self.pending = self.pending.partition(b"\0")
        return json.loads(message)

    def open(self, url: str) -> None:
        """Attach to the first page, tap its terminal's websocket, go to `url`."""
        (page,) = [t for t in self.send("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        attached = self.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)
        self.session = attached["sessionId"]
        self.send("Page.enable")
        self.send("Page.addScriptToEvaluateOnNewDocument", source=TAP_SCREEN)
        self.send("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        return self.send("Runtime.evaluate", expression=expression, returnByValue=True)[
            "result"
        ].get("value")

    def screen(self) -> str:
        """What the app has drawn so far, escape sequences removed."""
        return ANSI.sub("", self.evaluate("window.__screen || ''"))

    def wait_for_screen(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown; the screen had:\n{self.screen()}")
            time.sleep(0.1)

    def press(self, *keys: str) -> None:
        """Key presses as a user's: into xterm's focused text area, which sends them
        on to the app as terminal input."""
        self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        for key in keys:
            if key == "enter":
                event = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
                text = "\r"
            else:
                event = {"key": key, "windowsVirtualKeyCode": ord(key.upper())}
                text = key
            self.send("Input.dispatchKeyEvent", type="keyDown", text=text, **event)
            self.send("Input.dispatchKeyEvent", type="keyUp", **event)

    def close(self) -> None:
        kill_group(self.pid)
        os.waitpid(self.pid, 0)
        os.close(self.out)
        os.close(self.into)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def in_group(pgid: int) -> list[int]:
    """The live processes of a process group (zombies do not count)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def gone(pgid: int, timeout: float = 15.0) -> bool:
    """Whether every process of the group has ended within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while in_group(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_for_port(port: int, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, "the server exited before listening"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.slow
def test_a_question_answered_in_the_browser_is_recorded(tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("needs Chromium to open the page (apt install chromium; .ci/run does)")
    bank = write_bank(tmp_path)
    data = tmp_path / "data"
    port = free_port()
    env = {**os.environ, "QUIZZER_BANK": str(bank), "QUIZZER_DATA_DIR": str(data)}
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "quizzer", "practice", "--web", "--lang", "zh"]
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [*command, "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server, and the app it starts per browser tab
        )
    devtools: DevTools | None = None
    try:
        wait_for_port(port, server)
        assert f"Practice UI at http://127.0.0.1:{port}" in log.read_text()
        # The page sends the browser's websocket to the address the browser used (a
        # server on 0.0.0.0 is reached by some other name).
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        page.request("GET", "/", headers={"Host": "quizzer.lan:9000"})
        assert "ws://quizzer.lan:9000/ws" in page.getresponse().read().decode()
        page.close()
        devtools = DevTools(browser, tmp_path / "profile", tmp_path / "chromium.log")
        devtools.open(f"http://127.0.0.1:{port}/")
        # Home, in the language asked for, on the bank QUIZZER_BANK names (8 concepts).
        devtools.wait_for_screen("8 道新题可学")
        devtools.press("n")  # learn new: the easy questions come first
        devtools.wait_for_screen("哪个框架在代码运行时构建计算图")
        devtools.press("1", "enter")  # PyTorch (eager): right
        deadline = time.monotonic() + 30
        with open_store(env={"QUIZZER_DATA_DIR": str(data)}) as store:
            while not store.attempts():
                assert time.monotonic() < deadline, "no attempt recorded:\n" + devtools.screen()
                time.sleep(0.1)
            (attempt,) = store.attempts()
        assert attempt["question_id"] == "pick-one" and attempt["correct"]

        # Stopping the server ends the app it ran for the tab.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert gone(server.pid), "an app process outlived the server"
    finally:
        if devtools is not None:
            devtools.close()
        kill_group(server.pid)
        server.wait(timeout=30)
    assert gone(server.pid)
    assert devtools is None or gone(devtools.pid), "a Chromium process outlived the test"

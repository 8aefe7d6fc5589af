"""The coding-task screen: the statement and spec, writing the starter (never over
a file without asking), judging in a background worker with live check-by-check
progress, cancelling, watch mode, the editor, and the reference after a pass.

Most tests use a stand-in judge script (fast, no torch); the ones marked slow run
the real `quizzer judge` on CPU against the bundled SimpleNN task.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import pytest
from test_tui_support import STARTER, drive, make_rig, wait_for
from textual.widgets import Markdown, Static

from quizzer.tui.app import QuizzerApp
from quizzer.tui.screens.code_view import CodeScreen
from quizzer.tui.screens.coding import CodingScreen
from quizzer.tui.screens.confirm import ConfirmScreen
from quizzer.tui.widgets.checks import CheckList

PASSING = "class TinyLinear:  # PASS\n    pass\n"
FAILING = "class TinyLinear:\n    pass\n"


@pytest.fixture
def rig(tmp_path, monkeypatch):
    rig = make_rig(tmp_path)
    monkeypatch.setenv("FAKE_JUDGE_PID", str(tmp_path / "judge.pids"))
    yield rig
    rig.store.close()


def finished(rig):
    return rig.of(QuizzerApp.JudgeFinished)


async def open_task(app, pilot) -> CodingScreen:
    await pilot.press("t", "enter")  # focus the tasks table, open the first task
    await pilot.pause()
    assert isinstance(app.screen, CodingScreen)
    return app.screen


def submission(rig) -> Path:
    return rig.submissions / "tiny_linear.py"


def test_statement_and_spec_are_shown(rig):
    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        prompt = screen.query_one("#task-prompt", Markdown)
        assert "TinyLinear" in prompt.source
        spec = str(screen.query_one("#spec", Static).content)
        assert "Input shape: (B, 4) (float32)" in spec
        assert "Output shape: (B, 2)" in spec
        assert "Checks: load, shapes, gradients, learning" in spec
        assert "sgd lr=0.1, 50 steps" in spec
        assert screen.query_one(CheckList).names == ["load", "shapes", "gradients", "learning"]

    drive(rig, scenario)


@pytest.mark.slow
def test_start_writes_the_starter_and_never_overwrites_without_asking(rig):
    async def scenario(app, pilot):
        await open_task(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert submission(rig).read_text() == STARTER
        assert "tiny_linear.py" in str(app.screen.query_one("#file-line", Static).content)

        submission(rig).write_text("my work\n")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert submission(rig).read_text() == "my work\n"

        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert submission(rig).read_text() == STARTER

    drive(rig, scenario)


def test_judging_shows_each_check_live_then_the_report(rig):
    rig.submissions.mkdir()
    submission(rig).write_text(FAILING)

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: finished(rig))
        checks = screen.query_one(CheckList)
        assert [checks.status_of(n) for n in checks.names] == ["pass", "pass", "pass", "fail"]
        assert str(screen.query_one("#judge-status", Static).content) == "FAILED"
        assert "loss did not fall" in str(screen.query_one("#judge-message", Static).content)

    drive(rig, scenario)
    reported = [m.check.name for m in rig.of(QuizzerApp.CheckReported)]
    assert reported == ["load", "shapes", "gradients", "learning"]
    (done,) = finished(rig)
    assert done.outcome.status == "fail"
    assert rig.store.task_status("tiny-linear") == "fail"


@pytest.mark.slow
def test_the_reference_is_shown_only_after_a_pass(rig):
    rig.submissions.mkdir()
    submission(rig).write_text(FAILING)

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is screen  # locked
        submission(rig).write_text(PASSING)
        await pilot.press("j")
        await wait_for(pilot, lambda: finished(rig))
        assert str(screen.query_one("#judge-status", Static).content) == "PASSED"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, CodeScreen)
        assert "self.fc = torch.nn.Linear(4, 2)" in app.screen.code
        await pilot.press("escape", "escape")
        await pilot.pause()
        home_tasks = app.screen.query_one("#tasks")
        assert "passed" in [str(c) for c in home_tasks.get_row_at(0)]

    drive(rig, scenario)
    assert rig.store.task_passed("tiny-linear")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its exit status is left to collect.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_cancelling_kills_the_judge(rig, tmp_path):
    rig.submissions.mkdir()
    submission(rig).write_text("SLOW\n")

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: rig.of(QuizzerApp.CheckReported))
        assert screen.judging
        pid = int((tmp_path / "judge.pids").read_text().split()[0])
        assert pid_alive(pid)
        await pilot.press("c")
        await wait_for(pilot, lambda: not screen.judging)
        deadline = time.monotonic() + 5
        while pid_alive(pid) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert not pid_alive(pid)
        assert finished(rig) == []

    drive(rig, scenario)


@pytest.mark.slow
def test_watch_mode_rejudges_when_the_file_is_saved(rig):
    rig.submissions.mkdir()
    submission(rig).write_text(FAILING)

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("w")
        # Turning watch on judges the file once.
        await wait_for(pilot, lambda: len(finished(rig)) == 1)
        assert "[watching]" in str(screen.query_one("#judge-status", Static).content)
        submission(rig).write_text(PASSING)
        await wait_for(pilot, lambda: len(finished(rig)) == 2)
        assert finished(rig)[-1].outcome.status == "pass"
        await pilot.press("w")
        await pilot.pause()
        submission(rig).write_text(FAILING + "# again\n")
        await pilot.pause(0.4)
        assert len(finished(rig)) == 2  # watch is off

    drive(rig, scenario)


@pytest.mark.slow
def test_editor_runs_with_the_app_suspended_and_the_change_is_judged(rig, tmp_path, monkeypatch):
    rig.submissions.mkdir()
    submission(rig).write_text(FAILING)
    editor = tmp_path / "editor.py"
    editor.write_text(f"import sys\nopen(sys.argv[1], 'w').write({PASSING!r})\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {editor}")

    async def scenario(app, pilot):
        await open_task(app, pilot)
        suspended = []

        def suspend():
            suspended.append(True)
            return nullcontext()

        monkeypatch.setattr(app, "suspend", suspend)
        await pilot.press("e")
        await wait_for(pilot, lambda: finished(rig))
        assert suspended == [True]
        assert finished(rig)[0].outcome.status == "pass"

    drive(rig, scenario)
    assert submission(rig).read_text() == PASSING


def test_no_editor_in_a_headless_app_is_a_message_not_a_crash(rig):
    rig.submissions.mkdir()
    submission(rig).write_text(FAILING)

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert app.screen is screen
        assert any("Cannot open an editor" in str(n.message) for n in app._notifications)

    drive(rig, scenario)


def test_judging_without_a_file_asks_for_start(rig):
    async def scenario(app, pilot):
        await open_task(app, pilot)
        await pilot.press("j")
        await pilot.pause()
        assert any("press s" in str(n.message) for n in app._notifications)

    drive(rig, scenario)
    assert finished(rig) == []


# --- the real judge (CPU) ---------------------------------------------------------------


def bundled_rig(tmp_path):
    from test_tui_support import FakeClock, Rig

    from quizzer.bank.loader import load_bank
    from quizzer.store import Store

    bank = load_bank()
    return Rig(bank, Store(tmp_path / "p.sqlite3"), FakeClock(), tmp_path, [])


def task_files():
    from quizzer.bank.loader import load_bank

    bank = load_bank()
    task = bank.get("simple-nn")
    reference = bank.resolve("simple-nn", task.reference)
    bad = bank.resolve("simple-nn", task.variants[0].path)
    return reference, bad, task.variants[0].fails_at


@pytest.mark.slow
@pytest.mark.parametrize("which", ["reference", "known-bad"])
def test_the_real_judge_passes_the_reference_and_fails_a_bad_variant(tmp_path, which):
    rig = bundled_rig(tmp_path)
    reference, bad, fails_at = task_files()
    rig.submissions.mkdir()
    shutil.copy(reference if which == "reference" else bad, rig.submissions / "simple_nn.py")

    async def scenario(app, pilot):
        await pilot.press("t")
        table = app.screen.query_one("#tasks")
        row = [str(k.value) for k in table.rows].index("simple-nn")
        await pilot.press(*["down"] * row, "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CodingScreen)
        await pilot.press("j")
        await wait_for(pilot, lambda: finished(rig), timeout=240)
        assert screen.query_one(CheckList).results  # checks arrived one by one

    from quizzer.tui.judging import default_command

    drive(rig, scenario, judge_command=default_command(), judge_cwd=tmp_path)
    (done,) = finished(rig)
    live = [m.check.name for m in rig.of(QuizzerApp.CheckReported)]
    if which == "reference":
        assert done.outcome.status == "pass", done.outcome.message
        assert live == [c.name for c in done.outcome.checks]
    else:
        assert done.outcome.status == "fail"
        failed = [c.name for c in done.outcome.checks if c.status == "fail"]
        assert fails_at in failed
    rig.store.close()


def test_cancel_signal_reaches_the_whole_process_group(rig, tmp_path):
    """The judge runs in its own session, so killing it takes its workers along."""
    import asyncio

    from quizzer.tui.judging import run_judge

    script = tmp_path / "forker.py"
    script.write_text(
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(tmp_path / 'child.pid')!r}, 'w').write(str(child.pid))\n"
        'print(\'{"name": "load", "status": "pass"}\', flush=True)\n'
        "time.sleep(60)\n"
    )

    async def main():
        seen = []
        task = asyncio.ensure_future(run_judge([sys.executable, str(script)], seen.append))
        while not seen:
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail("the judge's child process outlived the cancelled judge")


def _alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
def test_the_ui_judges_through_the_service_it_starts_and_stops_it_on_exit(tmp_path):
    """Opening a coding task starts the judge service; j judges through it (check by
    check, the same verdict); quitting stops the service this UI started."""
    from quizzer.judge import client

    rig = bundled_rig(tmp_path)
    reference, _, _ = task_files()
    rig.submissions.mkdir()
    shutil.copy(reference, rig.submissions / "simple_nn.py")
    sock = tmp_path / "svc" / "judge.sock"
    seen = {}

    async def scenario(app, pilot):
        await pilot.press("t")
        table = app.screen.query_one("#tasks")
        row = [str(k.value) for k in table.rows].index("simple-nn")
        await pilot.press(*["down"] * row, "enter")
        await pilot.pause()
        await wait_for(pilot, lambda: app.judge_service() is not None, timeout=120)
        seen["pid"] = client.health(sock)["pid"]
        await pilot.press("j")
        await wait_for(pilot, lambda: finished(rig), timeout=240)
        seen["jobs"] = client.health(sock)

    from quizzer.tui.judging import default_command

    drive(rig, scenario, judge_command=default_command(), judge_cwd=tmp_path, judge_server=sock)
    (done,) = finished(rig)
    assert done.outcome.status == "pass", done.outcome.message
    assert [m.check.name for m in rig.of(QuizzerApp.CheckReported)]  # live checks arrived
    assert seen["jobs"]["pid"] == seen["pid"]  # judged by that service
    deadline = time.monotonic() + 30
    while _alive(seen["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(seen["pid"]), "the service the UI started outlived it"
    assert client.health(sock) is None
    rig.store.close()


@pytest.mark.slow
@pytest.mark.parametrize("keys", [("q",), ("ctrl+q",)])
def test_quitting_while_a_judgement_runs_is_clean(rig, tmp_path, keys):
    """Quitting mid-judgement ends the app without an error and takes the judge
    (and everything it started) along."""
    rig.submissions.mkdir()
    submission(rig).write_text("SLOW\n")
    seen = {}

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: rig.of(QuizzerApp.CheckReported))
        assert screen.judging
        seen["pid"] = int((tmp_path / "judge.pids").read_text().split()[0])
        await pilot.press(*keys)
        await pilot.pause(0.2)

    app = drive(rig, scenario)
    assert app._exception is None, app._exception
    assert app.return_code in (0, None)
    deadline = time.monotonic() + 5
    while pid_alive(seen["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(seen["pid"]), "the judge outlived the app"


class _StallingService:
    """A stand-in judge service on a Unix socket: it accepts a job, reports one check
    and then stalls until the job is cancelled (which it answers slowly, so the app is
    torn down while the cancel is still in flight)."""

    def __init__(self, sock: Path) -> None:
        import http.server
        import socketserver
        import threading

        self.cancelled = threading.Event()
        self.release = threading.Event()  # set: the job ends with a verdict
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def address_string(self):  # a Unix socket has no (host, port)
                return "unix"

            def _json(self, status: int, doc: dict) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/health":
                    self._json(200, {"ok": True, "pid": os.getpid()})
                    return
                self.send_response(200)
                self.end_headers()
                check = {"name": "load", "status": "pass", "message": "", "metrics": {}}
                self.wfile.write((json.dumps({"event": "check", "check": check}) + "\n").encode())
                self.wfile.flush()
                deadline = time.monotonic() + 30
                while not outer.cancelled.is_set() and time.monotonic() < deadline:
                    if outer.release.wait(0.02):
                        doc = {"schema_version": 1, "status": "pass", "message": None}
                        lines = [{**doc, "checks": [check]}, {"event": "end", "exit": 0}]
                        for line in lines:
                            self.wfile.write((json.dumps(line) + "\n").encode())
                        return

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._json(202, {"id": "job1"})

            def do_DELETE(self):
                time.sleep(0.3)
                outer.cancelled.set()
                self._json(200, {"cancelled": True})

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(str(sock), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.cancelled.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("verdict_comes", [False, True])
@pytest.mark.parametrize("keys", [("q",), ("ctrl+q",), ("c",)])
def test_leaving_a_judgement_in_the_service_is_clean(rig, tmp_path, keys, verdict_comes):
    """Quitting or cancelling while the service judges: no error, and the service is
    told to cancel that job."""
    rig.submissions.mkdir()
    submission(rig).write_text("anything\n")
    sock = tmp_path / "svc.sock"
    service = _StallingService(sock)
    try:

        async def scenario(app, pilot):
            screen = await open_task(app, pilot)
            await wait_for(pilot, lambda: app.judge_service() is not None)
            await pilot.press("j")
            await wait_for(pilot, lambda: rig.of(QuizzerApp.CheckReported))
            await pilot.press(*keys)
            if verdict_comes:  # while the app is closing
                service.release.set()
            await wait_for(pilot, lambda: not screen.judging or not screen.is_attached)
            await pilot.pause(0.5)

        app = drive(rig, scenario, judge_server=sock)
    finally:
        service.close()
    assert app._exception is None, app._exception
    if not verdict_comes:
        assert service.cancelled.is_set()
        assert finished(rig) == []


@pytest.mark.slow
def test_switching_language_during_a_judgement_keeps_the_live_checks(rig, tmp_path):
    """The screen is rebuilt in the other language while the judge runs: the checks
    reported so far stay, and later ones land in the new list."""
    rig.submissions.mkdir()
    submission(rig).write_text("SLOW\n")

    async def scenario(app, pilot):
        screen = await open_task(app, pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: rig.of(QuizzerApp.CheckReported))
        await pilot.press("l")
        await pilot.pause(0.2)
        checks = screen.query_one(CheckList)
        assert checks.status_of("load") == "pass"
        assert checks.status_of("shapes") == "running"
        assert "评测中" in str(screen.query_one("#judge-status", Static).content)
        await pilot.press("c")
        await wait_for(pilot, lambda: not screen.judging)

    app = drive(rig, scenario)
    assert app._exception is None, app._exception


def test_an_optimiser_task_shows_no_input_or_output_shape():
    """An optimiser class has no input or output: its spec's placeholder shapes stay
    out of the task's summary, while a model task keeps them."""
    from types import SimpleNamespace

    from quizzer.bank.loader import load_bank

    tasks = Path(__file__).resolve().parents[1] / "questions" / "tasks"
    bank = load_bank([tasks / "adamw-optimizer", tasks / "train-step"], include_bundled=False)

    def keys(task_id: str) -> list[str]:
        view = SimpleNamespace(coding_task=bank.get(task_id), t=lambda key, **_: key)
        return CodingScreen.spec_lines(view)  # type: ignore[arg-type]

    assert keys("adamw-optimizer")[:2] == ["code.checks", "code.forbidden"]
    assert keys("train-step")[:3] == ["code.input", "code.output", "code.batches"]

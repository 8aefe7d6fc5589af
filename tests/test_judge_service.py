"""The resident judge service: the CLI judges through it when it runs and gets the
same result documents and exit codes as in-process; its client never imports torch;
failures that need no worker come back without one; jobs can be polled and
cancelled; TCP needs a token; an idle service stops by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from quizzer.errors import UsageError
from quizzer.judge import client
from tests.judge_support import TASKS

#: A service imports torch and warms a sandbox; several tests start judge processes.
# one worker starts the module's service once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("judge-service")]

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "judge_cases"
#: The golden cases of one task (a reference, its known-bad variants, other styles and
#: forgeries), judged through the service and in-process.
SAME_TASKS = ("linear-from-scratch",)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A service on a socket of this module's own, in a thread of this process."""
    from quizzer.judge.service import serve

    sock = tmp_path_factory.mktemp("svc") / "judge.sock"
    ready = threading.Event()
    thread = threading.Thread(
        target=serve,
        kwargs={"socket_file": sock, "workers": 2, "idle_s": 600, "ready": lambda _: ready.set()},
        daemon=True,
    )
    thread.start()
    assert ready.wait(120)
    yield sock
    client.shutdown(sock)
    thread.join(30)


def cli(*args: str, sock: Path | None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if sock is not None:
        env[client.SOCKET_ENV] = str(sock)
    else:
        env[client.SOCKET_ENV] = str(cwd / "no-such.sock")
    return subprocess.run(
        [sys.executable, "-m", "quizzer", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def _cases(task: str) -> list[Path]:
    out = []
    for case in sorted(CASES.iterdir()):
        want = json.loads((case / "expected.json").read_text())
        if want["task"] == task:
            out.append(
                REPO / want["submission"] if "submission" in want else case / "submission.py"
            )
    return out


def _comparable(doc: dict) -> dict:
    """What must not depend on the path taken: everything but times and versions."""
    return {
        "status": doc["status"],
        "message": doc["message"],
        "seed": doc["seed"],
        "sha256": doc["sha256"],
        "submission": doc["submission"],
        "checks": [(c["name"], c["status"], c["message"]) for c in doc["checks"]],
    }


@pytest.mark.parametrize("task", SAME_TASKS)
def test_the_service_and_the_cli_give_the_same_results(service, task):
    files = [str(p) for p in _cases(task)]
    # two at a time: results finish out of order, and are reported in the files' order
    args = ["judge", *files, "--task", task, "--seed", "4321", "--json", "--workers", "2"]
    remote = cli(*args, sock=service)
    local = cli(*args, "--no-server", sock=None)
    assert remote.returncode == local.returncode, remote.stderr + local.stderr
    docs_remote, docs_local = json.loads(remote.stdout), json.loads(local.stdout)
    assert [_comparable(d) for d in docs_remote] == [_comparable(d) for d in docs_local]
    health = client.health(service)
    assert health is not None and health["jobs"] == 0


def test_the_client_never_imports_torch(service, tmp_path):
    script = (
        "import runpy, sys\n"
        f"sys.argv = ['quizzer', 'judge', {str(TASKS / 'simple-nn' / 'reference.py')!r}, "
        "'--task', 'simple-nn', '--seed', '7', '--json']\n"
        "try:\n    runpy.run_module('quizzer', run_name='__main__')\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        "sys.stderr.write(f'TORCH={\"torch\" in sys.modules} EXIT={code}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, client.SOCKET_ENV: str(service)},
        timeout=300,
        cwd=REPO,
    )
    assert "TORCH=False EXIT=0" in done.stderr, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "pass"


def test_a_refused_request_is_a_usage_error_with_the_same_words(service):
    remote = cli("judge", str(TASKS / "simple-nn" / "reference.py"), "--task", "simple-nnn",
                 sock=service)  # fmt: skip
    local = cli("judge", str(TASKS / "simple-nn" / "reference.py"), "--task", "simple-nnn",
                "--no-server", sock=None)  # fmt: skip
    assert remote.returncode == local.returncode == 2
    assert "did you mean 'simple-nn'?" in remote.stderr
    assert remote.stderr.strip() == local.stderr.strip()


def test_a_syntax_error_comes_back_without_a_worker(service, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nclass SimpleNN(torch.nn.Module:\n    pass\n")
    events = list(client.judge_events({"files": [str(bad)], "task": "simple-nn"}, service))
    [doc] = [e for e in events if isinstance(e.get("checks"), list)]
    load = doc["checks"][0]
    assert (load["name"], load["status"]) == ("load", "fail")
    assert load["message"].startswith(f"{bad}:2:31: SyntaxError")  # the file it was given
    assert "^" in load["message"]
    assert doc["sandbox"]["exit_code"] is None  # no sandbox run at all
    assert events[-1] == {"event": "end", "exit": 1, "cancelled": False}


def test_a_file_that_never_names_the_class_fails_load_at_once(service, tmp_path):
    other = tmp_path / "other.py"
    other.write_text("import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n")
    events = list(client.judge_events({"files": [str(other)], "task": "simple-nn"}, service))
    [doc] = [e for e in events if isinstance(e.get("checks"), list)]
    assert doc["checks"][0]["message"] == (
        f"{other} defines no SimpleNN; classes found: Net. Name your class SimpleNN."
    )
    assert doc["sandbox"]["exit_code"] is None


def _http(sock: Path, method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    response = client._request(sock, method, url, body, timeout=300)
    return response.status, json.loads(response.read())


def test_jobs_can_be_polled_and_cancelled(service):
    ref = str(TASKS / "linear-from-scratch" / "reference.py")
    status, made = _http(service, "POST", "/jobs", {"files": [ref], "task": "linear-from-scratch"})
    assert status == 202
    status, state = _http(service, "GET", f"/jobs/{made['id']}?wait=1")
    assert status == 200 and state["state"] == "done" and state["exit"] == 0
    assert [r["status"] for r in state["results"]] == ["pass"]
    assert state["events"][-1]["event"] == "end"
    many = {"files": [ref] * 6, "task": "linear-from-scratch", "workers": 1}
    status, made = _http(service, "POST", "/jobs", many)
    status, gone = _http(service, "DELETE", f"/jobs/{made['id']}")
    assert status == 200 and gone["cancelled"] is True
    status, state = _http(service, "GET", f"/jobs/{made['id']}?wait=1")
    assert state["state"] == "cancelled" and len(state["results"]) < 6
    assert _http(service, "GET", "/jobs/nope")[0] == 404


def test_sources_can_be_sent_instead_of_paths(service):
    text = (TASKS / "simple-nn" / "reference.py").read_text()
    status, done = _http(
        service,
        "POST",
        "/judge",
        {"sources": [{"name": "mine.py", "text": text}], "task": "simple-nn", "seed": 3},
    )
    assert status == 200 and done["exit"] == 0
    assert done["results"][0]["status"] == "pass"


def test_tcp_needs_a_token(tmp_path):
    from quizzer.judge.service import serve

    with pytest.raises(UsageError, match="only with a token"):
        serve(tcp=("127.0.0.1", 0))


def test_an_idle_service_stops_by_itself(tmp_path):
    from quizzer.judge.service import serve

    sock = tmp_path / "idle.sock"
    thread = threading.Thread(
        target=serve, kwargs={"socket_file": sock, "idle_s": 0.5, "workers": 1}, daemon=True
    )
    started = time.monotonic()
    thread.start()
    thread.join(120)
    assert not thread.is_alive() and not sock.exists()
    assert time.monotonic() - started < 120


def test_results_are_reported_in_the_order_the_files_were_given(monkeypatch):
    """The service streams results as they finish; the CLI reports them in the files'
    order (the in-process path's order)."""
    from quizzer.commands import judge as judge_command
    from quizzer.judge.runner import Options, judge_file
    from tests.judge_support import task, warm_sandbox

    reference = TASKS / "simple-nn" / "reference.py"
    judged = judge_file(reference, task("simple-nn"), warm_sandbox(), Options(device="cpu", seed=5))
    doc = judged.model_dump(mode="json")
    docs = [{**doc, "submission": name} for name in ("a.py", "b.py")]
    events = [
        {"event": "start", "file": "a.py", "index": 1, "total": 2},
        {"event": "start", "file": "b.py", "index": 2, "total": 2},
        docs[1],  # b finished first
        docs[0],
        {"event": "end", "exit": 0, "cancelled": False},
    ]
    monkeypatch.setattr(client, "judge_events", lambda request: iter(events))
    results = judge_command.judge_remote({"files": ["a.py", "b.py"]}, events=False, total=2)
    assert [r.submission for r in results] == ["a.py", "b.py"]


def test_server_start_refuses_an_unknown_backend_before_starting_anything(tmp_path):
    sock = tmp_path / "never.sock"
    done = cli("server", "start", "--socket", str(sock), "--backend", "slurm", sock=sock)
    assert done.returncode == 2
    assert "unknown backend 'slurm'" in done.stderr
    assert not sock.exists() and not sock.with_suffix(".log").exists()


@pytest.mark.slow
def test_server_start_passes_its_backend_on_to_the_service_it_starts(tmp_path):
    sock = tmp_path / "bg.sock"
    done = cli(
        "server", "start", "--socket", str(sock), "--idle", "60", "--backend", "local", sock=sock
    )
    try:
        assert done.returncode == 0, done.stderr
        assert "(backend local)" in done.stdout
        found = client.health(sock)
        assert found is not None and found["backend"] == "local"
    finally:
        client.shutdown(sock)

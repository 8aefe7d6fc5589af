"""The sandbox through the command line: `quizzer sandbox doctor`, `quizzer sandbox
build-image`, and `quizzer judge --sandbox/--allow-weak-sandbox/--workers`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quizzer.judge.sandbox import cgroups
from tests.sandbox_support import HOSTILE, docker_or_skip

REPO = Path(__file__).resolve().parents[1]
TASK = REPO / "questions/tasks/simple-nn"
REFERENCE = TASK / "reference.py"


def no_cgroups(monkeypatch):
    monkeypatch.setattr(
        cgroups,
        "detect",
        lambda: cgroups.CgroupSupport(None, {}, ("cgroup v1 memory: cannot create groups (test)",)),
    )


def test_doctor_lists_every_protection_and_its_exit_code_follows_them(run_cli):
    result = run_cli("sandbox", "doctor", "--sandbox", "process")
    out = result.stdout
    for name in (
        "bubblewrap",
        "user namespaces",
        "cgroup memory limit",
        "cgroup pids limit",
        "seccomp",
        "docker engine",
        "gpu",
    ):
        assert name in out
    missing = [
        line for line in out.splitlines() if line.startswith("MISS") and "process sandbox" in line
    ]
    assert result.exit_code == (1 if missing else 0), out


def test_doctor_fails_when_cgroups_are_missing(run_cli, monkeypatch):
    no_cgroups(monkeypatch)
    result = run_cli("sandbox", "doctor", "--sandbox", "process")
    assert result.exit_code == 1
    assert "MISS cgroup memory limit" in result.stdout
    assert "--allow-weak-sandbox" in result.stderr


def test_doctor_rejects_an_unknown_sandbox(run_cli):
    result = run_cli("sandbox", "doctor", "--sandbox", "chroot")
    assert result.exit_code == 2
    assert "chroot" in result.stderr


@pytest.mark.slow
def test_judge_reports_the_sandbox_and_its_protections(run_cli):
    result = run_cli(
        "judge", str(REFERENCE), "--task", "simple-nn", "--sandbox", "process", "--json"
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["sandbox"]["name"] == "process"
    assert "bubblewrap" in doc["sandbox"]["protections"]
    text = run_cli("judge", str(REFERENCE), "--task", "simple-nn", "--sandbox", "process")
    assert "sandbox process: bubblewrap" in text.stdout


@pytest.mark.slow
def test_judge_refuses_weak_isolation_unless_allowed(run_cli, monkeypatch):
    no_cgroups(monkeypatch)
    refused = run_cli("judge", str(REFERENCE), "--task", "simple-nn", "--sandbox", "process")
    assert refused.exit_code == 2
    assert "cgroup memory limit" in refused.stderr and "--allow-weak-sandbox" in refused.stderr
    allowed = run_cli(
        "judge",
        str(REFERENCE),
        "--task",
        "simple-nn",
        "--sandbox",
        "process",
        "--allow-weak-sandbox",
        "--json",
    )
    assert allowed.exit_code == 0, allowed.stderr
    protections = json.loads(allowed.stdout)["sandbox"]["protections"]
    assert not any(p.startswith("cgroup-") for p in protections)
    assert any(",as" in p for p in protections), (
        "the address-space rlimit stands in for the memory cgroup"
    )


def test_judge_rejects_an_unknown_sandbox(run_cli):
    result = run_cli("judge", str(REFERENCE), "--task", "simple-nn", "--sandbox", "jail")
    assert result.exit_code == 2
    assert "jail" in result.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_parallel_judging_gives_one_report_per_file_in_order(run_cli):
    files = [REFERENCE, *sorted((TASK / "bad").glob("*.py"))[:3], HOSTILE / "kill_judge.py"]
    result = run_cli("judge", *map(str, files), "--task", "simple-nn", "--workers", "3", "--json")
    assert result.exit_code == 1
    docs = json.loads(result.stdout)
    assert [d["submission"] for d in docs] == [str(f) for f in files]
    assert docs[0]["status"] == "pass", [c for c in docs[0]["checks"] if c["status"] != "pass"]
    assert all(d["status"] != "pass" for d in docs[1:])
    assert f"[{len(files)}/{len(files)}]" in result.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_a_crash_while_judging_one_file_keeps_the_others(run_cli, monkeypatch):
    import quizzer.judge.runner as runner

    real = runner.judge_file

    def flaky(path, *args, **kwargs):
        if Path(path).name == "kill_judge.py":
            raise RuntimeError("the judge broke on this file")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(runner, "judge_file", flaky)
    files = [REFERENCE, HOSTILE / "kill_judge.py", REFERENCE]
    result = run_cli("judge", *map(str, files), "--task", "simple-nn", "--workers", "2", "--json")
    docs = json.loads(result.stdout)
    assert [d["status"] for d in docs] == ["pass", "error", "pass"]
    assert "the judge broke on this file" in docs[1]["message"]
    assert result.exit_code == 1


@pytest.mark.docker
def test_build_image_makes_the_registry_free_image(run_cli):
    client = docker_or_skip()
    from quizzer.judge.sandbox.image import LABEL_ENV

    tag = "quizzer-sandbox:cli-test"
    try:
        result = run_cli("sandbox", "build-image", "--tag", tag)
        assert result.exit_code == 0, result.stderr
        assert "registry-free" in result.stdout
        assert client.images.get(tag).labels[LABEL_ENV] == "host"
    finally:
        client.images.remove(tag, force=True)


@pytest.mark.docker
@pytest.mark.slow
def test_judge_runs_in_docker_when_asked(run_cli):
    docker_or_skip()
    result = run_cli(
        "judge", str(REFERENCE), "--task", "simple-nn", "--sandbox", "docker", "--json"
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["sandbox"]["name"] == "docker"
    assert {"network:none", "read-only-root", "cap-drop:ALL"} <= set(doc["sandbox"]["protections"])


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_limits_can_be_changed_on_the_command_line(run_cli):
    slow = HOSTILE / "sleep_forever.py"
    result = run_cli("judge", str(slow), "--task", "simple-nn", "--limit", "wall=1.5", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["sandbox"]["limit_hit"] == "wall"
    # The run itself (not the sandbox's start-up, which a busy machine stretches) ends
    # at the new limit, far below the task's own 30 s.
    assert doc["timings"]["sandbox_s"] < 1.5 + 10


@pytest.mark.parametrize(
    "item, says",
    [
        ("wall", "NAME=VALUE"),
        ("speed=3", "NAME=VALUE"),
        ("wall=fast", "not a number"),
        ("memory=1", "memory_mb"),
    ],
)
def test_bad_limit_overrides_are_usage_errors(run_cli, item, says):
    result = run_cli("judge", str(REFERENCE), "--task", "simple-nn", "--limit", item)
    assert result.exit_code == 2
    assert says in result.stderr

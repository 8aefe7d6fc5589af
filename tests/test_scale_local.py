"""`quizzer judge --ledger/--resume` on the local backend, through the real command
line and the real sandbox: the ledger holds every submission once with its result,
`--resume` reports the whole batch without judging anything again, and bad usage
gets a clear message. Also: judging without `--backend ray` never imports Ray."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from tests.judge_support import REPO, TASKS

GOOD = TASKS / "simple-nn" / "reference.py"
BAD = TASKS / "simple-nn" / "bad" / "wrong_output_size.py"


def rows(ledger: Path) -> list[tuple]:
    with sqlite3.connect(ledger) as db:
        return db.execute(
            "SELECT name, state, attempts, node FROM submissions ORDER BY seq"
        ).fetchall()


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_a_ledger_batch_is_reported_from_the_ledger_and_resume_judges_nothing_again(
    run_cli, tmp_path: Path
):
    ledger = tmp_path / "batch.db"
    args = ("judge", GOOD, BAD, GOOD, "--task", "simple-nn", "--seed", "5", "--json")
    first = run_cli(*args, "--ledger", ledger, "--no-server")
    assert first.exit_code == 1, first.stderr
    docs = json.loads(first.stdout)
    assert [d["status"] for d in docs] == ["pass", "fail", "pass"]
    # the same file twice is one row: (submission hash, task hash, seed)
    assert [(n.rsplit("/", 1)[-1], s, a, node) for n, s, a, node in rows(ledger)] == [
        ("reference.py", "done", 1, "local"),
        ("wrong_output_size.py", "done", 1, "local"),
    ]
    again = run_cli("judge", "--resume", ledger, "--json")
    assert again.exit_code == 1, again.stderr
    assert json.loads(again.stdout) == docs[:2]
    assert [r[2] for r in rows(ledger)] == [1, 1]  # nothing was sent again


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_the_junit_report_is_rebuilt_from_the_ledger(run_cli, tmp_path: Path):
    ledger = tmp_path / "batch.db"
    run_cli("judge", BAD, "--task", "simple-nn", "--seed", "5", "--ledger", ledger, "--no-server")
    junit = tmp_path / "junit.xml"
    done = run_cli("judge", "--resume", ledger, "--junit", junit)
    assert done.exit_code == 1
    assert 'failures="1"' in junit.read_text() and "wrong_output_size.py" in junit.read_text()


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_resume_with_files_or_a_second_ledger_is_a_usage_error(run_cli, tmp_path: Path):
    ledger = tmp_path / "batch.db"
    made = run_cli("judge", BAD, "--task", "simple-nn", "--seed", "5", "--ledger", ledger)
    assert made.exit_code == 1
    with_files = run_cli("judge", BAD, "--task", "simple-nn", "--resume", ledger)
    assert with_files.exit_code == 2
    assert "--resume judges what the ledger holds; drop the files and --task" in with_files.stderr
    both = run_cli("judge", "--resume", ledger, "--ledger", tmp_path / "other.db")
    assert both.exit_code == 2 and "drop --ledger" in both.stderr
    missing = run_cli("judge", "--resume", tmp_path / "nope.db")
    assert missing.exit_code == 2 and "nope.db: no such ledger" in missing.stderr


def test_no_files_and_no_resume_is_a_usage_error(run_cli, tmp_path):
    ledger = tmp_path / "x.db"
    done = run_cli("judge", "--task", "simple-nn", "--backend", "local", "--ledger", ledger)
    assert done.exit_code == 2
    assert "give the files to judge and --task ID (or --resume LEDGER)" in done.stderr
    missing = run_cli("judge", tmp_path / "nope.py", "--task", "simple-nn", "--ledger", ledger)
    assert missing.exit_code == 2
    assert not ledger.exists(), "a refused command leaves no ledger behind"


def test_an_unknown_backend_and_an_address_without_ray_are_usage_errors(run_cli, tmp_path):
    odd = run_cli("judge", BAD, "--task", "simple-nn", "--backend", "slurm")
    assert odd.exit_code == 2 and "unknown backend 'slurm'; choose one of: local, ray" in odd.stderr
    addr = run_cli(
        "judge",
        BAD,
        "--task",
        "simple-nn",
        "--address",
        "10.0.0.1:6379",
        "--ledger",
        tmp_path / "l.db",
    )
    assert addr.exit_code == 2 and "--address names a Ray cluster; add --backend ray" in addr.stderr
    # judging one file here: the address is refused too, not ignored
    one = run_cli("judge", BAD, "--task", "simple-nn", "--address", "10.0.0.1:6379")
    assert one.exit_code == 2 and "--address names a Ray cluster; add --backend ray" in one.stderr
    # $RAY_ADDRESS is for Ray's own connection: it never turns a local run into that
    # error (screen grade checks the backend before it reads anything)
    local = run_cli(
        "screen",
        "grade",
        tmp_path / "no-screen.yaml",
        "--candidate",
        "ada",
        "--submission",
        tmp_path,
        "-o",
        tmp_path / "out",
        env={"RAY_ADDRESS": "10.0.0.1:6379"},
    )
    assert local.exit_code == 2 and "no-screen.yaml" in local.stderr, local.stderr
    assert "--address" not in local.stderr


@pytest.mark.slow
def test_judging_without_the_ray_backend_never_imports_ray(tmp_path: Path):
    """A real judgement with a ledger (the scale-out path on the local backend), in a
    fresh interpreter: Ray must not be among the modules it loaded."""
    probe = (
        "import sys\n"
        "from quizzer.cli import main\n"
        "try:\n"
        f"    main(['judge', {str(BAD)!r}, '--task', 'simple-nn', '--seed', '5', "
        f"'--ledger', {str(tmp_path / 'l.db')!r}, '--no-server'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 1, exc.code\n"
        "print('RAY' if 'ray' in sys.modules else 'NO-RAY', 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "NO-RAY True"


def test_the_ray_backend_refuses_sandbox_none_before_reaching_any_cluster(run_cli):
    done = run_cli(
        "judge",
        BAD,
        "--task",
        "simple-nn",
        "--backend",
        "ray",
        "--sandbox",
        "none",
        "--device",
        "cpu",
        "--address",
        "192.0.2.1:6379",
    )
    assert done.exit_code == 2
    assert "--backend ray with --sandbox none" in done.stderr
    assert "no isolation inside Ray workers" in done.stderr


def test_without_ray_installed_the_ray_backend_says_how_to_add_it():
    """A fresh interpreter in which `import ray` fails, as where the extra is not
    installed: a usage error naming the extra, not a traceback."""
    probe = (
        "import sys\n"
        "sys.modules['ray'] = None  # import ray raises ImportError\n"
        "from quizzer.cli import main\n"
        f"main(['judge', {str(BAD)!r}, '--task', 'simple-nn', '--backend', 'ray', "
        "'--device', 'cpu'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "--backend ray needs Ray: pip install 'quizzer[ray]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_cuda_submission_on_ray_asks_for_its_gpu_share_and_a_cpu_one_for_none():
    from quizzer.judge.scale.work import Submission

    def made(backend: str, device: str, share: float, seed: int | None = 3) -> Submission:
        return Submission.of(
            task_id="simple-nn",
            task_hash="t" * 64,
            source=b"x",
            name="x.py",
            seed=seed,
            device=device,
            backend=backend,
            gpu_share=share,
        )

    assert made("ray", "cuda", 0.25).gpu == 0.25
    assert made("ray", "cuda", 1.0).gpu == 1.0
    assert made("ray", "cpu", 0.25).gpu == 0.0  # CPU work never holds a GPU
    assert made("local", "cuda", 0.25).gpu == 0.0  # placement is the cluster's
    assert made("ray", "cpu", 1.0).seed == 3
    assert 0 <= made("ray", "cpu", 1.0, seed=None).seed < 2**31  # a fresh one


def test_every_scale_out_command_takes_the_gpu_share(monkeypatch):
    """`quizzer judge`, `screen grade` and `server run|start` share `--gpu-share`, and
    the screen and the service carry it to the submissions they build."""
    from quizzer.cli import build_app
    from quizzer.judge.scale.cluster_jobs import ClusterJobs
    from quizzer.screen.grader import judge_choice
    from quizzer.screen.models import JudgeSettings

    app = typer.main.get_command(build_app())
    for path in (["judge"], ["screen", "grade"], ["server", "run"], ["server", "start"]):
        command = app
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        assert any("--gpu-share" in p.opts for p in command.params), path
    assert judge_choice(JudgeSettings(), gpu_share=0.5).gpu_share == 0.5
    assert ClusterJobs(None, None, 0.25).gpu_share == 0.25


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_events_with_a_ledger_stream_a_start_and_a_result_per_file(run_cli, tmp_path):
    done = run_cli(
        "judge",
        GOOD,
        BAD,
        "--task",
        "simple-nn",
        "--seed",
        "5",
        "--events",
        "--ledger",
        tmp_path / "l.db",
        "--no-server",
    )
    assert done.exit_code == 1, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    starts = [e for e in events if e.get("event") == "start"]
    assert sorted(e["index"] for e in starts) == [1, 2]
    assert sorted(e["status"] for e in events if "checks" in e) == ["fail", "pass"]
    assert events[-1] == {"event": "summary", "total": 2, "passed": 1}

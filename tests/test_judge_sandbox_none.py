"""`NoSandbox`: a clean environment, limits that end the run with a named limit, a
scratch folder that is gone afterwards, and no process left behind."""

from __future__ import annotations

import os
import time

import pytest

from quizzer.judge.result import Status
from quizzer.judge.sandbox.none import NoSandbox, clean_env
from tests.judge_support import judge_source

pytestmark = pytest.mark.slow  # a fresh interpreter and torch import per judgement

REPORT = """
import os, sys
raise RuntimeError("ENV=" + ",".join(sorted(os.environ)) + " CWD=" + os.getcwd())
"""


def test_the_worker_sees_a_fresh_environment(monkeypatch):
    monkeypatch.setenv("QUIZZER_TEST_CI_TOKEN", "hunter2")
    result = judge_source(REPORT, sandbox=NoSandbox())
    load = result.checks[0]
    assert load.status is Status.FAIL
    assert "ENV=" in load.message
    assert "QUIZZER_TEST_CI_TOKEN" not in load.message and "hunter2" not in load.message
    assert "OMP_NUM_THREADS" in load.message


def test_the_scratch_folder_is_removed():
    result = judge_source(REPORT, sandbox=NoSandbox())
    cwd = result.checks[0].message.split("CWD=")[1].split()[0]
    assert "quizzer-judge-" in cwd
    assert not os.path.exists(cwd)


def test_clean_env_hides_gpus_for_cpu_runs():
    assert clean_env("/tmp/x", "cpu")["CUDA_VISIBLE_DEVICES"] == ""
    assert "CUDA_VISIBLE_DEVICES" not in clean_env("/tmp/x", "cuda")


@pytest.mark.slow
def test_a_sleeping_submission_hits_the_wall_limit_and_is_killed():
    started = time.monotonic()
    result = judge_source(
        "import time, os\nopen('pid', 'w')\ntime.sleep(60)\n", sandbox=NoSandbox(), wall_s=4
    )
    assert time.monotonic() - started < 15
    assert result.status is Status.ERROR
    assert result.sandbox.limit_hit == "wall"
    assert "time limit (4 s wall clock)" in result.checks[0].message


def test_an_output_flood_hits_the_output_limit():
    flood = "import os\nfor _ in range(1000):\n    os.write(2, b'x' * 65536)\n"
    result = judge_source(flood, sandbox=NoSandbox())
    assert result.status is not Status.PASS
    assert result.sandbox.limit_hit == "output"


def test_a_memory_bomb_does_not_pass():
    bomb = "import torch\nx = torch.empty(64 * 2**30, dtype=torch.uint8)\nx.fill_(1)\n"
    result = judge_source(bomb, sandbox=NoSandbox(), memory_mb=512)
    assert result.status is not Status.PASS
    assert (
        "memory" in result.checks[0].message.lower() or "alloc" in result.checks[0].message.lower()
    )


def test_a_python_memory_bomb_is_explained_as_the_memory_limit():
    bomb = "blocks = []\nfor _ in range(64):\n    blocks.append(b'x' * (64 << 20))\n"
    result = judge_source(bomb, sandbox=NoSandbox(), memory_mb=256)
    load = result.checks[0]
    assert load.status is Status.FAIL and "MemoryError" in load.message
    assert "memory limit" in load.message and "limits.memory_mb" in load.message


def test_protections_are_reported():
    result = judge_source(REPORT, sandbox=NoSandbox())
    assert result.sandbox.name == "none"
    assert "fresh environment" in result.sandbox.protections
    assert NoSandbox().protections() == tuple(result.sandbox.protections)

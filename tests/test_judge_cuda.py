"""The CUDA path, on a machine with an NVIDIA GPU. Each test skips, saying so, where
torch sees no CUDA device."""

from __future__ import annotations

import pytest

from quizzer.judge.device import cuda_device_count
from quizzer.judge.result import Status
from tests.judge_support import GOOD_NN, TASKS, task

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(
        cuda_device_count() == 0, reason="needs a CUDA GPU; torch sees none on this machine"
    ),
]


def _judge(source: str, task_id: str):
    from quizzer.judge.runner import Options, judge_bytes, open_sandbox

    return judge_bytes(
        source.encode(), task(task_id), open_sandbox(), Options(device="cuda", seed=3)
    )


ALL_TASKS = sorted(p.name for p in TASKS.iterdir() if (p / "task.yaml").is_file())


@pytest.mark.parametrize("task_id", ALL_TASKS)
def test_references_pass_on_cuda(task_id):
    result = _judge((TASKS / task_id / "reference.py").read_text(), task_id)
    assert result.status is Status.PASS, result.message
    assert result.device.used == "cuda"
    device = next((c for c in result.checks if c.name == "device"), None)
    assert device is None or str(device.metrics["device"]).startswith("cuda")


def test_a_hard_coded_cpu_tensor_fails_on_cuda():
    result = _judge((TASKS / "simple-nn" / "bad" / "hard_coded_device.py").read_text(), "simple-nn")
    assert result.status is Status.FAIL
    # on a GPU the forward itself fails (in shapes, the first check that runs it)
    first = next(c for c in result.checks if c.status is not Status.PASS)
    assert "device" in first.message


def test_the_cli_runs_on_cuda(run_cli):
    result = run_cli(
        "judge", TASKS / "simple-nn" / "reference.py", "--task", "simple-nn", "--device", "cuda"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "device cuda" in result.stdout
    assert GOOD_NN

"""The four forgeries that beat the single-process worker (each made a wrong file pass
with status `pass` there, for every seed) fail under the harness / model-host split,
under both sandboxes: the process that runs the submission holds no nonce, no reply
channel, no check code and no labels, and patching torch there changes only what the
model computes.

tests/forgeries/*.py:
- stack_reply: reads the nonce and the reply fd from a stack frame, writes a complete
  consistent reply from a correct model of its own, exits 0;
- patch_checks: finds the live object that runs the checks and makes it build a
  correct model instead of its own broken one;
- patch_torch: a 3x-wrong hand-written backward, hidden by replacing
  torch.autograd.grad, which the check code looks up when it runs;
- read_labels: a model that cannot learn reads the learning check's labels from a
  stack frame and fits them;
- gradient_labels: the same model reads the labels from the output gradients that
  training sends it (cross entropy's gradient gives them away) and fits them in eval
  mode. The trained model's output is therefore taken from a second model host that
  never saw a gradient, with only the trained parameters and buffers carried over.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizzer.judge.runner import Options, judge_bytes
from quizzer.judge.sandbox import make_sandbox
from tests.judge_support import task
from tests.sandbox_support import docker_or_skip

# slow: each judges several files under two sandboxes; one worker: the module's
# sandboxes start once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("judge-forgeries")]

FORGERIES = Path(__file__).resolve().parent / "forgeries"
#: Where each forgery must be stopped: the check that fails, the others before it pass.
STOPPED_AT = {
    "stack_reply": "load",
    "patch_checks": "load",
    "patch_torch": "gradients",
    "read_labels": "learning",
    "gradient_labels": "learning",
}


@pytest.fixture(
    scope="module", params=["process", pytest.param("docker", marks=pytest.mark.docker)]
)
def sandbox(request):
    if request.param == "docker":
        docker_or_skip()
    box = make_sandbox(request.param)
    yield box
    box.close()


@pytest.mark.parametrize("name", sorted(STOPPED_AT))
def test_a_forgery_does_not_pass(sandbox, name):
    source = (FORGERIES / f"{name}.py").read_bytes()
    for seed in (11, 12):
        result = judge_bytes(source, task("simple-nn"), sandbox, Options(device="cpu", seed=seed))
        statuses = {c.name: c.status.value for c in result.checks}
        assert result.status.value == "fail", (name, seed, statuses)
        assert statuses[STOPPED_AT[name]] == "fail", (name, seed, statuses)
        before = list(statuses)[: list(statuses).index(STOPPED_AT[name])]
        assert all(statuses[c] == "pass" for c in before), (name, seed, statuses)

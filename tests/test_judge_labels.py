"""Class labels as an input (`extra_inputs` of kind `labels`): int64 indices in
[0, classes), a quarter of them set to the value of a constructor argument such as
`ignore_index` (never the first, so a batch always has one label that counts), drawn
again per configuration with that configuration's value; they are never cast to the
run's dtype, never given a gradient, and reach the model as int64. Also the reference
check's message for an output with no batch dimension (a loss reduced over the batch),
which shows the whole trial's inputs."""

from __future__ import annotations

import pytest
import torch

from quizzer.bank.models import InputSpec
from quizzer.judge import checks_ref
from quizzer.judge.equivalence import builtin_plan, trial_inputs
from quizzer.judge.facts import CheckFailed, Context
from quizzer.judge.probes import GRAD_BATCH, bool_args, make_input, make_probes
from quizzer.judge.result import Status
from quizzer.judge.worker.modelhost import Host
from tests.judge_support import TASKS, judge_source, task

TASK = "stable-cross-entropy"


def _labels(batch: int, init: dict | None, seed: int = 0, **fields) -> torch.Tensor:
    spec = InputSpec(name="target", shape=("B",), kind="labels", classes=5, **fields)
    return make_input(spec, batch, torch.Generator().manual_seed(seed), torch.float32, init)


def test_labels_are_int64_class_indices_and_reproducible():
    a, b = _labels(64, None), _labels(64, None)
    assert a.dtype == torch.int64 and a.shape == (64,)
    assert torch.equal(a, b)
    assert int(a.min()) >= 0 and int(a.max()) < 5
    assert len(set(a.tolist())) == 5  # every class is drawn


@pytest.mark.parametrize(("batch", "ignored"), [(1, 0), (2, 1), (3, 1), (8, 2), (16, 4)])
def test_a_quarter_of_the_labels_take_the_ignored_value_never_the_first(batch, ignored):
    for seed in range(20):
        labels = _labels(batch, {"ignore_index": -100}, seed, ignore="ignore_index")
        assert int((labels == -100).sum()) == ignored
        assert int(labels[0]) != -100
        assert bool(((labels >= 0) & (labels < 5) | (labels == -100)).all())


def test_labels_without_the_argument_in_init_are_plain():
    labels = _labels(16, {}, ignore="ignore_index")
    assert int(labels.min()) >= 0


def test_the_tasks_probes_keep_labels_int64_and_unwidened():
    coding = task(TASK)
    spec = coding.spec
    assert bool_args(spec) == [1]
    probes = make_probes(spec, 3)
    (target,), (target_grad,) = probes.extra, probes.extra_grad
    assert target.dtype == target_grad.dtype == torch.int64
    assert target.shape == (16,) and target_grad.shape == (GRAD_BATCH,)
    assert int((target == -100).sum()) == 4 and int(target[0]) != -100
    assert int((target_grad == -100).sum()) == 1


def test_each_configuration_draws_its_labels_with_its_own_ignore_index():
    """The configuration built with ignore_index=1 gets no -100 (nn.CrossEntropyLoss
    would reject it) and a quarter of its labels are 1; the others get -100."""
    spec = task(TASK).spec
    for (xs, _), i in zip(trial_inputs(spec, 3), range(spec.reference.trials), strict=True):
        config = spec.reference.config(i)
        target = xs[1]
        assert target.dtype == torch.int64
        value = (config.init if config else {}).get("ignore_index", -100)
        if value == 1:
            assert not bool((target == -100).any()) and int((target == 1).sum()) >= 2
        else:
            assert int((target == -100).sum()) >= 2
        assert int(target.flatten()[0]) != value


def test_the_model_host_makes_masks_bool_and_keeps_labels_int64():
    mask = torch.tensor([[1, 0]], dtype=torch.uint8)
    labels = torch.tensor([3, -100])
    got = Host()._inputs(
        {"xs": [torch.zeros(2, 5), labels, mask], "bools": [1, 2]}, torch.device("cpu")
    )
    assert got[1].dtype == torch.int64 and torch.equal(got[1], labels)
    assert got[2].dtype == torch.bool


def test_a_reduced_output_that_differs_shows_the_whole_trials_inputs():
    coding = task(TASK)
    plan = builtin_plan(coding, 3)
    ctx = Context(task=coding, probes=make_probes(coding.spec, 3), device="cpu", plan=plan)
    trials = []
    for t, trial in enumerate(plan.trials):
        runs = []
        for want in trial.expected:
            out = want.out.clone()
            runs.append({"out": out + 1.0 if t == 1 else out})  # trial 2: reduction mean
        trials.append({"keys": [], "params": [], "runs": runs})
    with pytest.raises(CheckFailed) as failed:
        checks_ref.reference(ctx, {"trials": trials}, None)
    message = failed.value.message
    assert plan.trials[1].expected[0].out.dim() == 0
    assert (
        "trial 2 (eval mode, float32, inputs scaled by 1000; built with reduction='mean')"
        in message
    )
    assert "that trial's inputs are input (8, 5) [" in message
    assert "; input target (8,) [" in message
    assert "sample" not in message


@pytest.mark.slow
def test_the_tasks_reference_passes_with_labels_through_the_sandbox():
    source = (TASKS / TASK / "reference.py").read_text()
    result = judge_source(source, TASK, seed=11)
    assert result.status == Status.PASS, [(c.name, c.message) for c in result.checks]

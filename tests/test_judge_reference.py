"""The reference check: plans made on the trusted side (a built-in run here with a
random state, or the task's reference solution in a worker of its own), and verdicts
that compare every trial, mode and dtype within per-dtype tolerances, refuse to decide
when the expected output is near zero, and fail closed when the reference itself fails.
Trusted-side verdicts are fed facts built here; a few tests run the real worker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from quizzer.bank.loader import load_bank
from quizzer.bank.models import Coding
from quizzer.judge import checks_ref
from quizzer.judge.equivalence import builtin_plan, solution_plan, trial_inputs
from quizzer.judge.facts import CheckFailed, Context, Unjudgeable, shape_text
from quizzer.judge.plans import RefPlan, Trial
from quizzer.judge.probes import build_request, make_probes
from quizzer.judge.result import Status
from quizzer.judge.runner import Options, judge_bytes
from quizzer.judge.sandbox.base import RunOutcome, RunRequest
from tests.judge_support import TASKS, task, warm_sandbox


def _ctx(coding: Coding, seed: int = 3, plan: RefPlan | None = None) -> Context:
    plan = plan if plan is not None else builtin_plan(coding, seed)
    return Context(task=coding, probes=make_probes(coding.spec, seed), device="cpu", plan=plan)


def _facts(plan: RefPlan, change=lambda out, trial, run: out) -> dict[str, Any]:
    """What a worker would report for a submission whose outputs are `change(expected)`."""
    trials = []
    for t, trial in enumerate(plan.trials):
        keys = [[k, list(v.shape)] for k, v in (trial.state or {}).items()]
        runs = []
        for run, want in zip(plan.runs, trial.expected, strict=True):
            done: dict[str, Any] = {"out": change(want.out.clone(), t, run)}
            if want.buffers is not None:
                done["buffers"] = {k: v.clone() for k, v in want.buffers.items()}
            runs.append(done)
        trials.append({"keys": keys, "params": list(trial.params or ()), "runs": runs})
    return {"trials": trials}


def test_a_builtin_plan_is_deterministic_per_seed_and_differs_between_seeds():
    coding = task("linear-from-scratch")
    a, b, c = builtin_plan(coding, 5), builtin_plan(coding, 5), builtin_plan(coding, 6)
    assert len(a.trials) == coding.spec.reference.trials
    assert [r.dtype for r in a.runs] == ["float32", "float64"]
    for x, y in zip(a.trials, b.trials, strict=True):
        assert all(torch.equal(p, q) for p, q in zip(x.inputs, y.inputs, strict=True))
        assert torch.equal(x.expected[0].out, y.expected[0].out)
    assert not torch.equal(a.trials[0].inputs[0], c.trials[0].inputs[0])
    assert not torch.equal(a.trials[0].state["weight"], c.trials[0].state["weight"])


def test_states_are_randomised_away_from_any_default_initialisation():
    plan = builtin_plan(task("layernorm-from-scratch"), 4)
    for trial in plan.trials:
        assert trial.state is not None
        size = trial.state["weight"].shape
        assert not torch.allclose(trial.state["weight"], torch.ones(size))
        assert not torch.allclose(trial.state["bias"], torch.zeros(size))
    # so a LayerNorm without its affine part cannot match by luck
    ctx = _ctx(task("layernorm-from-scratch"), plan=plan)

    def no_affine(out, t, run):
        xs = plan.trials[t].inputs[0].to(getattr(torch, run.dtype))
        return torch.nn.functional.layer_norm(xs, xs.shape[-1:])

    with pytest.raises(CheckFailed, match="differs from the torch built-in"):
        checks_ref.reference(ctx, _facts(plan, no_affine), None)


def test_the_expected_outputs_are_the_builtin_in_the_judges_state():
    coding = task("linear-from-scratch")
    plan = builtin_plan(coding, 9)
    trial = plan.trials[1]
    layer = torch.nn.Linear(12, 5).double()
    layer.load_state_dict(trial.state)
    assert trial.scale == coding.spec.reference.input_scales[1]
    want = layer(trial.inputs[0])
    assert torch.allclose(trial.expected[1].out, want)


def test_renamed_states_use_the_submissions_keys():
    plan = builtin_plan(task("gru-from-scratch"), 2)
    assert set(plan.trials[0].state or {}) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert tuple(plan.trials[0].expected[0].out.shape) == (5, 5, 8)


def test_masks_have_a_true_in_every_row():
    coding = task("scaled-dot-product-attention")
    for xs, _ in trial_inputs(coding.spec, 11):
        mask = xs[3]
        assert mask.dtype == torch.bool and bool(mask.any(-1).all())


def test_matching_outputs_pass_with_the_numbers():
    ctx = _ctx(task("linear-from-scratch"))
    message, metrics = checks_ref.reference(ctx, _facts(ctx.plan), None)
    trials = ctx.task.spec.reference.trials
    assert f"{trials} trials x 2 runs" in message and metrics["worst_error_over_tolerance"] == 0.0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda out, t, run: torch.zeros_like(out), "differs from the torch built-in"),
        (lambda out, t, run: out * 0.5, "differs from the torch built-in"),
        (lambda out, t, run: out * (1 + 1e-3), "relative error"),
        (lambda out, t, run: out.float(), "is torch.float32 for float64"),
        (lambda out, t, run: out[:, :2], "has shape"),
        (lambda out, t, run: out + float("nan"), "non-finite"),
    ],
)
def test_wrong_outputs_fail_with_where_and_how_much(change, words):
    ctx = _ctx(task("linear-from-scratch"))
    with pytest.raises(CheckFailed, match=words) as failed:
        checks_ref.reference(ctx, _facts(ctx.plan, change), None)
    assert "trial " in failed.value.message


def test_tolerances_are_per_dtype():
    ctx = _ctx(task("linear-from-scratch"))
    tiny = 1e-6  # far inside float32's rtol 1e-4, far outside float64's 1e-7

    def off_in(dtype: str):
        return lambda out, t, run: out * (1 + tiny) if run.dtype == dtype else out

    checks_ref.reference(ctx, _facts(ctx.plan, off_in("float32")), None)
    with pytest.raises(CheckFailed, match="float64"):
        checks_ref.reference(ctx, _facts(ctx.plan, off_in("float64")), None)


@pytest.mark.parametrize("answer", ["zeros", "exact"])
def test_a_near_zero_expected_output_is_never_a_pass(answer):
    """Inputs so small that the absolute tolerance alone would accept zeros: the
    judge refuses to decide (an error), whatever the submission returns."""
    coding = task("swish-autograd-function")
    ref = coding.spec.reference.model_copy(update={"input_scales": (1e-9,)})
    coding = coding.model_copy(update={"spec": coding.spec.model_copy(update={"reference": ref})})
    plan = builtin_plan(coding, 3)
    ctx = _ctx(coding, plan=plan)
    change = (lambda out, t, run: torch.zeros_like(out)) if answer == "zeros" else None
    facts = _facts(plan, change) if change else _facts(plan)
    with pytest.raises(Unjudgeable, match="too close to zero"):
        checks_ref.reference(ctx, facts, None)


def test_state_dict_keys_and_shapes_are_explained():
    ctx = _ctx(task("linear-from-scratch"))
    facts = _facts(ctx.plan)
    facts["trials"][0]["keys"] = [["weight", [12, 5]], ["extra", [1]]]
    with pytest.raises(CheckFailed) as failed:
        checks_ref.reference(ctx, facts, None)
    assert "missing bias" in failed.value.message
    assert "unexpected extra" in failed.value.message
    assert "weight is (12, 5), expected (5, 12)" in failed.value.message


def test_trainable_parameters_must_be_those_the_solution_trains_no_fewer_no_more():
    """A buffer where the solution trains a parameter is never trained; a trainable
    parameter where the solution keeps a frozen one or a buffer (a LoRA layer's base
    weights, BatchNorm's running statistics) would be changed by an optimiser. The
    outputs match either way, so only the names tell."""
    ctx = _ctx(task("batchnorm-from-scratch"))
    assert set(ctx.plan.trials[0].params or ()) == {"weight", "bias"}
    checks_ref.reference(ctx, _facts(ctx.plan), None)  # the same names pass

    facts = _facts(ctx.plan)
    facts["trials"][0]["params"] = ["weight", "bias", "running_mean", "running_var"]
    with pytest.raises(CheckFailed) as failed:
        checks_ref.reference(ctx, facts, None)
    assert failed.value.message.startswith("running_mean, running_var are trainable")
    assert "keeps them frozen" in failed.value.message
    assert failed.value.metrics["frozen_trainable"] == ["running_mean", "running_var"]

    facts = _facts(ctx.plan)  # a missing one is named first, also when another is extra
    facts["trials"][0]["params"] = ["bias", "running_mean"]
    with pytest.raises(CheckFailed, match=r"weight is not a trainable nn\.Parameter"):
        checks_ref.reference(ctx, facts, None)


def test_running_statistics_are_compared_after_train_mode_forwards():
    raw = task("linear-from-scratch").model_dump()
    raw["id"] = "bn-probe"
    raw["spec"].update(
        input_shape=["B", 6],
        output_shape=["B", 6],
        init={"num_features": 6},
        reference={"builtin": "torch.nn.BatchNorm1d", "modes": ["train", "eval"], "buffers": True},
    )
    coding = Coding.model_validate(raw)
    plan = builtin_plan(coding, 1)
    ctx = _ctx(coding, plan=plan)
    checks_ref.reference(ctx, _facts(plan), None)
    facts = _facts(plan)
    facts["trials"][0]["runs"][0]["buffers"]["running_mean"] += 0.05
    with pytest.raises(CheckFailed, match=r"running_mean after forward.*momentum"):
        checks_ref.reference(ctx, facts, None)


def test_a_failed_reference_plan_is_an_error_naming_the_task():
    ctx = _ctx(
        task("multi-head-attention"), plan=RefPlan("reference solution r.py", problem="boom")
    )
    with pytest.raises(Unjudgeable, match=r"a problem of the task, not of the submission\): boom"):
        checks_ref.reference(ctx, {"trials": []}, None)


def _as_sent(path: Path) -> bytes:
    """A source file as it appears inside a request's JSON header."""
    return json.dumps(path.read_text(encoding="utf-8"))[1:-1].encode()


class Recorder:
    """A sandbox that runs this test process's warm one and keeps every request it was
    given."""

    name = "recorder"

    def __init__(self) -> None:
        self.inner = warm_sandbox()
        self.payloads: list[bytes] = []

    def protections(self) -> tuple[str, ...]:
        return ()

    def run(self, request: RunRequest) -> RunOutcome:
        self.payloads.append(request.payload)
        return self.inner.run(request)

    def close(self) -> None:
        pass


@pytest.mark.slow
def test_the_reference_solution_runs_in_its_own_worker_never_in_the_submissions():
    coding = task("multi-head-attention")
    reference = _as_sent(TASKS / "multi-head-attention" / "reference.py")
    path = TASKS / "multi-head-attention" / "bad" / "ignores_mask.py"
    box = Recorder()
    result = judge_bytes(path.read_bytes(), coding, box, Options(device="cpu", seed=123))
    assert [c.status for c in result.checks if c.name == "reference"] == [Status.FAIL]
    # the reference's own run, the submission's, then known-bad variants that fail at
    # reference, in order, until one matches: the submission is one of them
    own, theirs, *variants = box.payloads
    assert 1 <= len(variants) <= sum(v.fails_at == "reference" for v in coding.variants)
    check = next(c for c in result.checks if c.name == "reference")
    assert "This matches a known mistake (bad/ignores_mask.py)" in check.message
    assert check.metrics["known_mistake"] == "bad/ignores_mask.py"
    assert reference in own and reference not in theirs and _as_sent(path) in theirs
    assert b"reference.py" not in theirs
    assert all(reference not in v and b"reference.py" not in v for v in variants)


@pytest.mark.slow
def test_a_broken_reference_solution_makes_the_check_an_error_not_a_pass(tmp_path: Path):
    folder = tmp_path / "multi-head-attention"
    shutil.copytree(TASKS / "multi-head-attention", folder)
    (folder / "reference.py").write_text("raise RuntimeError('reference is broken')\n")
    coding = load_bank([folder], include_bundled=False).tasks()[0]
    good = (TASKS / "multi-head-attention" / "reference.py").read_bytes()
    result = judge_bytes(good, coding, Recorder(), Options(device="cpu", seed=5))
    check = next(c for c in result.checks if c.name == "reference")
    assert check.status is Status.ERROR
    assert "reference is broken" in check.message
    assert result.status is Status.ERROR


def test_the_submissions_request_carries_states_and_inputs_but_no_reference_text():
    coding = task("multi-head-attention")
    probes = make_probes(coding.spec, 8)
    inputs = trial_inputs(coding.spec, 8)
    plan = RefPlan("r", (), tuple(Trial(xs, s, None, ()) for xs, s in inputs))
    payload = build_request(coding, "SUBMISSION", probes, "cpu", plan=plan)
    reference = _as_sent(TASKS / "multi-head-attention" / "reference.py")
    assert b"SUBMISSION" in payload and b'"reference"' in payload
    assert reference not in payload and b"scaled_dot_product_attention" not in payload


@pytest.mark.slow
def test_reference_runs_are_cached_per_seed():
    """`bank verify` judges every variant with one seed: the reference runs once."""
    coding = task("multi-head-attention")
    box = Recorder()
    first = solution_plan(coding, make_probes(coding.spec, 31), "cpu", box)
    again = solution_plan(coding, make_probes(coding.spec, 31), "cpu", box)
    assert first.problem is None and again is first and len(box.payloads) == 1
    other = solution_plan(coding, make_probes(coding.spec, 32), "cpu", box)
    assert other is not first and len(box.payloads) == 2


def test_configurations_change_the_inputs_shapes_and_the_state_per_trial():
    """Trial i uses the i-th of [the task's own, *configs]: its inputs have the
    configuration's shapes, and the built-in is built with its arguments, so the
    state and the trainable parameters are those of that configuration."""
    coding = task("residual-block")
    spec = coding.spec
    shapes = [tuple(xs[0].shape) for xs, _ in trial_inputs(spec, 3)]
    b = spec.reference.batch_size
    assert shapes[0] == (b, 4, 10, 10) and shapes[1] == (b, 8, 10, 10)
    linear = task("linear-from-scratch")
    plan = builtin_plan(linear, 3)
    sizes = [(tuple(t.inputs[0].shape), tuple(t.state["weight"].shape)) for t in plan.trials]
    b = linear.spec.reference.batch_size
    assert sizes[:3] == [((b, 4, 12), (5, 12)), ((b, 12), (5, 12)), ((b, 2, 3, 7), (3, 7))]
    assert [t.expected[0].out.shape[-1] for t in plan.trials[:3]] == [5, 5, 3]
    assert all(t.params == ("weight", "bias") for t in plan.trials)


def test_a_failing_configuration_is_named_with_its_arguments_and_input_values():
    coding = task("linear-from-scratch")
    ctx = _ctx(coding)
    plan = ctx.plan

    def off_in_trial_3(out, t, run):
        return out + 1.0 if t == 2 else out

    with pytest.raises(CheckFailed) as failed:
        checks_ref.reference(ctx, _facts(plan, off_in_trial_3), None)
    message = failed.value.message
    x = plan.trials[2].inputs[0]
    assert "trial 3 (eval mode, float32; built with in_features=7, out_features=3" in message
    assert f"input shapes {shape_text(x.shape)}" in message
    sample = failed.value.metrics["sample"]
    assert f"sample {sample} of that trial has input {shape_text(x[sample].shape)}" in message
    assert f"[{float(x[sample].flatten()[0]):.4g}, " in message

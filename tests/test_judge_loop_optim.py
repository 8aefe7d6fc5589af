"""The trusted halves of the optimizer and resume checks, without a sandbox: the
judge's AdamW replay is torch.optim.AdamW, every classic mistake moves the result far
beyond the tolerance and is named when a submission's values match it, the training
loop replay draws the same dropout masks as the worker's model, the plans draw their
configurations from the seed, and the verdicts fail closed on what a worker could
forge or garble."""

from __future__ import annotations

import dataclasses
import math
import warnings
from pathlib import Path

import pytest
import torch

from quizzer.bank.loader import load_bank
from quizzer.judge import checks_loop, checks_optim
from quizzer.judge.checks_loop import CHECKPOINT_MISTAKES, LOOP_MISTAKES
from quizzer.judge.facts import CheckFailed, Context, Malformed
from quizzer.judge.loop_replay import Mistakes, plan_resume, simulate
from quizzer.judge.plans import LoopRun
from quizzer.judge.probes import make_probes
from quizzer.judge.tensors import Foreign
from quizzer.judge.worker.training import loop_model, loop_objects

# one worker builds the loop plan once (a module fixture is built once per worker)
pytestmark = pytest.mark.xdist_group("judge-loop-optim")

TASKS = Path(__file__).resolve().parents[1] / "questions" / "tasks"
BANK = load_bank([TASKS / "adamw-optimizer", TASKS / "training-loop"], include_bundled=False)
ADAMW, LOOP = BANK.get("adamw-optimizer"), BANK.get("training-loop")


def _ctx(task, seed: int, **plans) -> Context:
    return Context(task, make_probes(task.spec, seed), "cpu", **plans)


# --- AdamW ------------------------------------------------------------------------------


def _torch_adamw(plan) -> list[list[torch.Tensor]]:
    params = [p.clone().requires_grad_(True) for g in plan.groups for p in g]
    it = iter(params)
    groups = []
    for group, options in zip(plan.groups, plan.options, strict=True):
        opts = {k: tuple(v) if k == "betas" else v for k, v in options.items()}
        groups.append({"params": [next(it) for _ in group], **opts})
    defaults = {**plan.defaults, "betas": tuple(plan.defaults["betas"])}
    opt = torch.optim.AdamW(groups, foreach=False, **defaults)
    out = []
    for grads in plan.grads:
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else g.clone()
        opt.step()
        out.append([p.detach().clone() for p in params])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_adamw_replay_is_torch_adamw(seed):
    plan = checks_optim.plan_optimizer(ADAMW, seed)
    for got, want in zip(_torch_adamw(plan), plan.expected, strict=True):
        for g, w in zip(got, want, strict=True):
            assert torch.allclose(g, w, rtol=1e-13, atol=1e-15)


def test_the_plan_draws_shapes_hyper_parameters_and_missing_gradients_from_the_seed():
    a, b = (checks_optim.plan_optimizer(ADAMW, s) for s in (5, 6))
    shapes = [[tuple(p.shape) for g in plan.groups for p in g] for plan in (a, b)]
    assert shapes[0] != shapes[1]
    assert a.defaults["lr"] != b.defaults["lr"]
    assert len(a.groups) == 3 and len(a.grads) == 6 and 2 <= a.resume_at <= 4
    # one parameter without a gradient on step 1 only, one never with one
    first = [i for i, g in enumerate(a.grads[0]) if g is None]
    later = [i for i, g in enumerate(a.grads[1]) if g is None]
    assert len(first) == 2 and len(later) == 1 and set(later) < set(first)
    # the first group overrides everything, the second only weight_decay
    assert set(a.options[0]) == {"lr", "betas", "eps", "weight_decay"}
    assert set(a.options[1]) == {"weight_decay"} and a.options[2] == {}
    again = checks_optim.plan_optimizer(ADAMW, 5)
    assert all(torch.equal(x, y) for x, y in zip(again.expected[-1], a.expected[-1], strict=True))


def _data(plan, steps, resumed=None) -> dict:
    k = plan.resume_at
    resumed = steps[k:] if resumed is None else resumed
    (s1, l1), (s2, l2) = plan.closures
    return {
        "steps": [list(s) for s in steps],
        "returned": [[s1, l1], [s2, l2]],
        "resumed": [list(s) for s in resumed],
        "resumed_returned": [[s2, l2]],
    }


def test_the_verdict_passes_a_correct_optimizer():
    plan = checks_optim.plan_optimizer(ADAMW, 7)
    message, metrics = checks_optim.optimizer(
        _ctx(ADAMW, 7, optim=plan), _data(plan, plan.expected), None
    )
    assert metrics["steps"] == 6 and "match AdamW" in message


@pytest.mark.parametrize(("flags", "why"), checks_optim.MISTAKES)
def test_every_adamw_mistake_fails_and_is_named(flags, why):
    seed = 11
    plan = checks_optim.plan_optimizer(ADAMW, seed)
    wrong = checks_optim.adamw(plan, **flags)
    gap = max(
        float((w - e).abs().max())
        for ws, es in zip(wrong, plan.expected, strict=True)
        for w, e in zip(ws, es, strict=True)
    )
    assert gap > 1e4 * checks_optim.ATOL  # far beyond the tolerance
    resumed = wrong[plan.resume_at :] if flags.get("lose_state") else None
    steps = plan.expected if flags.get("lose_state") else wrong
    with pytest.raises(CheckFailed) as failed:
        checks_optim.optimizer(_ctx(ADAMW, seed, optim=plan), _data(plan, steps, resumed), None)
    assert why in failed.value.message


def test_a_closure_whose_loss_is_not_returned_fails():
    plan = checks_optim.plan_optimizer(ADAMW, 3)
    data = _data(plan, plan.expected)
    data["returned"][0][1] = Foreign("builtins.NoneType", False)
    with pytest.raises(CheckFailed, match=r"step\(closure\) on step 2 returns"):
        checks_optim.optimizer(_ctx(ADAMW, 3, optim=plan), data, None)
    data["returned"][0][1] = torch.tensor(plan.closures[0][1], dtype=torch.float64)
    checks_optim.optimizer(_ctx(ADAMW, 3, optim=plan), data, None)  # a 0-d tensor is fine


def test_a_garbled_or_short_optimizer_report_is_never_a_pass():
    plan = checks_optim.plan_optimizer(ADAMW, 4)
    ctx = _ctx(ADAMW, 4, optim=plan)
    short = _data(plan, plan.expected[:3], resumed=[])
    with pytest.raises(Malformed):
        checks_optim.optimizer(ctx, short, None)
    bad = _data(plan, plan.expected)
    bad["steps"][0] = bad["steps"][0][:-1]
    with pytest.raises(Malformed):
        checks_optim.optimizer(ctx, bad, None)
    foreign = _data(plan, plan.expected)
    foreign["steps"][0][0] = Foreign("FakeTensor", True)
    with pytest.raises(CheckFailed, match=r"not a torch\.Tensor"):
        checks_optim.optimizer(ctx, foreign, None)


def test_an_exception_after_correct_steps_fails_with_its_phase():
    plan = checks_optim.plan_optimizer(ADAMW, 4)
    data = _data(plan, plan.expected, resumed=[])
    error = {"type": "KeyError", "message": "'exp_avg'", "frames": [], "phase": "step 3"}
    error["resumed"] = True
    with pytest.raises(CheckFailed, match="step 3 of the fresh AdamW that loaded"):
        checks_optim.optimizer(_ctx(ADAMW, 4, optim=plan), data, error)


# --- the training loop ------------------------------------------------------------------


CORRECT = Mistakes()
#: The bank's task with the fewest micro-batches its spec allows: the verdict tests
#: replay every mistake, so each replay is kept short.
SMALL = LOOP.model_copy(
    update={
        "spec": LOOP.spec.model_copy(
            update={
                "resume": LOOP.spec.resume.model_copy(
                    update={"accum_steps": (3, 3), "groups": 1, "eval_batches": 1}
                )
            }
        )
    }
)


@pytest.fixture(scope="module")
def loop_plan():
    """One small plan for the module, with the verdict's replays of it remembered:
    naming a mistake replays every one, and each test would otherwise redo them."""
    plan = plan_resume(SMALL, 21)
    seen: dict[Mistakes, tuple[LoopRun, ...]] = {}

    def remembered(p, mistakes=CORRECT, norms=None):
        if p is not plan or norms is not None:
            return simulate(p, mistakes, norms)
        if mistakes not in seen:
            seen[mistakes] = simulate(p, mistakes)
        return seen[mistakes]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks_loop, "simulate", remembered)
        yield plan


def test_the_replay_draws_the_dropout_masks_of_the_workers_model(loop_plan):
    """The worker's model is nn.Dropout on torch's global generator; the replay's
    draws from its own. Same seed, same losses and state, bit for bit."""
    plan = loop_plan
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = loop_model(*plan.model)
        model.load_state_dict(plan.state)
        model.train()
        objects = (model, *loop_objects(model, plan.objects))
        torch.manual_seed(plan.seed)
        batches, norm = plan.epochs[0]
        from quizzer.judge.loop_replay import _train_epoch

        losses = _train_epoch(objects, batches, plan.accum_steps, norm, Mistakes(), [])
    want = plan.expected[0]
    assert tuple(losses) == want.returned
    assert all(torch.equal(model.state_dict()[k], v) for k, v in want.state.items())


@pytest.mark.slow
def test_the_loop_plan_ends_every_epoch_with_a_short_group_and_sets_the_clipping(loop_plan):
    plan = loop_plan
    assert plan.accum_steps == 3
    for batches, _ in plan.epochs:
        assert len(batches) % plan.accum_steps != 0
    (_, bites), (_, idle) = plan.epochs
    assert 0 < bites < idle < math.inf
    other = plan_resume(SMALL, 22)
    assert not torch.equal(other.state["0.weight"], plan.state["0.weight"])
    spec = SMALL.spec.model_copy(
        update={"resume": SMALL.spec.resume.model_copy(update={"accum_steps": (2, 4)})}
    )
    varied = SMALL.model_copy(update={"spec": spec})
    assert len({plan_resume(varied, s).accum_steps for s in range(4)}) > 1


def _rec(run: LoopRun) -> dict:
    returned = run.returned
    return {
        "returned": returned if isinstance(returned, float) else {"floats": list(returned)},
        "state": dict(run.state),
        "momentum": list(run.momentum),
        "lrs": list(run.lrs),
        "last_epoch": run.last_epoch,
        "scale": run.scale,
        "growth_tracker": run.growth_tracker,
    }


def _loop_data(runs: tuple[LoopRun, ...], forwards=None, not_train=()) -> dict:
    ev = {**_rec(runs[1]), "forwards": forwards or [[False, False, False]] * 3}
    ev["not_train"] = list(not_train)
    return {
        "first": {"epochs": [_rec(runs[0]), _rec(runs[2])], "eval": ev},
        "resumed": {"epochs": [_rec(runs[3])]},
    }


def test_the_loop_verdict_passes_the_correct_runs(loop_plan):
    ctx = _ctx(SMALL, 21, loop=loop_plan)
    message, metrics = checks_loop.resume(ctx, _loop_data(loop_plan.expected), None)
    assert metrics["accum_steps"] == loop_plan.accum_steps and "fresh objects" in message


@pytest.mark.slow
@pytest.mark.parametrize(("mistake", "why"), LOOP_MISTAKES + CHECKPOINT_MISTAKES)
def test_every_loop_mistake_fails_and_is_named(loop_plan, mistake, why):
    wrong = simulate(loop_plan, mistake)
    with pytest.raises(CheckFailed) as failed:
        checks_loop.resume(_ctx(SMALL, 21, loop=loop_plan), _loop_data(wrong), None)
    assert why in failed.value.message


def _excess(wrong: LoopRun, want: LoopRun) -> float:
    """How many times its tolerance the largest difference between two runs is."""
    tol = checks_loop.ATOL, checks_loop.RTOL
    worst = max(
        float(((w.double() - e.double()).abs() / (tol[0] + tol[1] * e.double().abs())).max())
        for w, e in ((wrong.state[k], want.state[k]) for k in want.state)
    )
    ours = wrong.returned if isinstance(wrong.returned, tuple) else (wrong.returned,)
    theirs = want.returned if isinstance(want.returned, tuple) else (want.returned,)
    worst = max(
        worst, *(abs(a - b) / (tol[0] + tol[1] * abs(b)) for a, b in zip(ours, theirs, strict=True))
    )
    facts = (wrong.last_epoch, wrong.scale, wrong.lrs) != (want.last_epoch, want.scale, want.lrs)
    return math.inf if facts else worst


@pytest.mark.slow
def test_every_loop_mistake_moves_something_far_beyond_the_tolerance(loop_plan):
    for mistake, _ in LOOP_MISTAKES + CHECKPOINT_MISTAKES:
        wrong = simulate(loop_plan, mistake)
        excess = max(_excess(w, e) for w, e in zip(wrong, loop_plan.expected, strict=True))
        assert excess > 10, (mistake, excess)


@pytest.mark.parametrize(
    ("forwards", "not_train", "words"),
    [
        ([[True, False, True]], (), "with gradient tracking on"),
        ([[False, True, False]], (), "in training mode"),
        ([[False, False, False]], ("the model",), "still in eval mode"),
        ([], (), "never called the model"),
    ],
)
def test_what_the_worker_saw_during_evaluate_is_judged(loop_plan, forwards, not_train, words):
    data = _loop_data(loop_plan.expected, forwards or None, not_train)
    if not forwards:
        data["first"]["eval"]["forwards"] = []
    with pytest.raises(CheckFailed, match=words):
        checks_loop.resume(_ctx(SMALL, 21, loop=loop_plan), data, None)


def test_losses_returned_as_tensors_or_missing_functions_fail(loop_plan):
    ctx = _ctx(SMALL, 21, loop=loop_plan)
    data = _loop_data(loop_plan.expected)
    data["first"]["epochs"][0]["returned"] = {"$type": "list of torch.Tensor"}
    with pytest.raises(CheckFailed, match=r"one loss\.item\(\) per micro-batch"):
        checks_loop.resume(ctx, data, None)
    with pytest.raises(CheckFailed, match="defines no evaluate"):
        checks_loop.resume(ctx, {"first": {"missing": ["evaluate"]}}, None)


def test_a_run_that_stops_early_or_is_garbled_is_never_a_pass(loop_plan):
    ctx = _ctx(SMALL, 21, loop=loop_plan)
    data = _loop_data(loop_plan.expected)
    del data["resumed"]
    with pytest.raises(Malformed):
        checks_loop.resume(ctx, data, None)
    data = _loop_data(loop_plan.expected)
    data["first"]["epochs"][0]["scale"] = "65536"
    with pytest.raises(Malformed):
        checks_loop.resume(ctx, data, None)
    data = _loop_data(loop_plan.expected)
    data["first"]["epochs"][0]["state"]["0.weight"] = Foreign("FakeTensor", True)
    with pytest.raises(CheckFailed, match=r"not a torch\.Tensor"):
        checks_loop.resume(ctx, data, None)


def test_an_exception_names_the_call_that_raised(loop_plan):
    ctx = _ctx(SMALL, 21, loop=loop_plan)
    data = _loop_data(loop_plan.expected)
    data["resumed"] = {"epochs": []}
    error = {"type": "KeyError", "message": "'rng'", "frames": [], "phase": "load_checkpoint"}
    with pytest.raises(CheckFailed, match="load_checkpoint in fresh objects"):
        checks_loop.resume(ctx, data, {**error, "resumed": True})


def test_plans_are_frozen_records():
    plan = checks_optim.plan_optimizer(ADAMW, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.resume_at = 3  # type: ignore[misc]

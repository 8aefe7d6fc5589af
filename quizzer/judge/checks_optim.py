"""The optimizer check: an AdamW optimiser class judged by the parameters it leaves.

Called by `quizzer.judge.runner` (`plan_optimizer`, before the run) and by
`quizzer.judge.verdicts` (`optimizer`). The judge draws parameter groups (shapes,
values, each group's own hyper-parameters), the gradients of every step (some None, so
that parameters take different numbers of steps) and the steps that go through a
closure; the worker runs the submission's class on them and, after a step in the
middle, moves its state_dict into a fresh instance (built with junk hyper-parameters)
in another process. Here the judge replays AdamW in float64 itself (`adamw`) and
compares the parameters after every step, and what `step(closure)` returned. When they
differ, it replays the classic mistakes to name the one that matches.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from quizzer.bank.models import Coding
from quizzer.judge import explain
from quizzer.judge.facts import CheckFailed, Context, Malformed, get, shape_text, tensor
from quizzer.judge.plans import OptimPlan
from quizzer.judge.result import Metric

#: float64 parameters: a correct AdamW differs from the replay only by rounding.
RTOL, ATOL = 1e-8, 1e-10
#: The ranges betas are drawn from (lr, eps and weight_decay come from the spec).
BETA1, BETA2 = (0.8, 0.95), (0.95, 0.999)
#: What the resumed instance is built with: load_state_dict must replace all of it.
JUNK = {"lr": 0.5, "betas": [0.5, 0.6], "eps": 0.1, "weight_decay": 0.9}


def plan_optimizer(task: Coding, seed: int) -> OptimPlan:
    spec = task.spec.optimizer
    assert spec is not None
    gen = torch.Generator().manual_seed(seed * 7 + 11)

    def uniform(low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand((), generator=gen, dtype=torch.float64))

    def log_uniform(span: tuple[float, float]) -> float:
        return math.exp(uniform(math.log(span[0]), math.log(span[1])))

    def hyper() -> dict[str, Any]:
        return {
            "lr": log_uniform(spec.lr),
            "betas": [uniform(*BETA1), uniform(*BETA2)],
            "eps": log_uniform(spec.eps),
            "weight_decay": uniform(*spec.weight_decay),
        }

    defaults, own = hyper(), hyper()
    # group 0 overrides everything, group 1 only weight_decay, the rest nothing
    options = [own, {"weight_decay": uniform(*spec.weight_decay)}]
    options += [{} for _ in range(spec.groups - 2)]
    groups = []
    for _ in range(spec.groups):
        shapes = [_shape(gen) for _ in range(2)]
        groups.append(tuple(torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes))
    flat = [p for g in groups for p in g]
    # one parameter misses its gradient on the first step (so it takes one step fewer
    # than the rest), another never has one (it must stay as it is)
    order = torch.randperm(len(flat), generator=gen).tolist()
    late, never = order[0], order[1]
    grads = []
    for step in range(spec.steps):
        row: list[torch.Tensor | None] = []
        for i, p in enumerate(flat):
            if i == never or (i == late and step == 0):
                row.append(None)
                continue
            # element scales from 1e-3 to 1: eps matters where the gradient is small
            scale = 10.0 ** (-3.0 * torch.rand(p.shape, generator=gen, dtype=torch.float64))
            row.append(torch.randn(p.shape, generator=gen, dtype=torch.float64) * scale)
        grads.append(tuple(row))
    resume_at = 2 + int(torch.randint(0, spec.steps - 3, (), generator=gen))
    losses = torch.randn(2, generator=gen, dtype=torch.float64).tolist()
    closures = ((1, losses[0]), (spec.steps - 1, losses[1]))
    plan = OptimPlan(
        tuple(groups),
        tuple(options),
        defaults,
        dict(JUNK),
        tuple(grads),
        closures,
        resume_at,
    )
    expected = adamw(plan)
    return dataclasses.replace(plan, expected=expected)


def _shape(gen: torch.Generator) -> tuple[int, ...]:
    dims = 1 + int(torch.randint(0, 3, (), generator=gen))
    return tuple(1 + int(torch.randint(0, 5, (), generator=gen)) for _ in range(dims))


def adamw(
    plan: OptimPlan,
    *,
    l2: bool = False,
    decay_after: bool = False,
    bias_correction: bool = True,
    global_step: bool = False,
    eps_inside: bool = False,
    ignore_groups: bool = False,
    none_as_zero: bool = False,
    lose_state: bool = False,
    closure_late: bool = False,
) -> tuple[tuple[torch.Tensor, ...], ...]:
    """The parameters after each step of AdamW (torch.optim.AdamW's algorithm, in
    float64), run without a break; the flags replay known mistakes (`lose_state`:
    the state is gone after the round trip at `plan.resume_at`; `closure_late`: the
    closure runs after the update, so the steps called with one see no gradients)."""
    late = {step for step, _ in plan.closures} if closure_late else set()
    params = [p.clone() for g in plan.groups for p in g]
    hypers = []
    for group, options in zip(plan.groups, plan.options, strict=True):
        hp = plan.defaults if ignore_groups else {**plan.defaults, **options}
        hypers += [hp] * len(group)
    state: dict[int, dict[str, Any]] = {}
    calls = 0
    out = []
    for step, grads in enumerate(plan.grads):
        if lose_state and step == plan.resume_at:
            state, calls = {}, 0
        calls += 1
        if step in late:
            grads = (None,) * len(params)
        for i, (p, g, hp) in enumerate(zip(params, grads, hypers, strict=True)):
            if g is None:
                if not none_as_zero:
                    continue
                g = torch.zeros_like(p)
            lr, wd, eps = hp["lr"], hp["weight_decay"], hp["eps"]
            beta1, beta2 = hp["betas"]
            st = state.setdefault(
                i, {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}
            )
            st["step"] += 1
            t = calls if global_step else st["step"]
            if l2:
                g = g + wd * p
            elif not decay_after:
                p.mul_(1 - lr * wd)
            st["m"] = beta1 * st["m"] + (1 - beta1) * g
            st["v"] = beta2 * st["v"] + (1 - beta2) * g * g
            bc1 = 1 - beta1**t if bias_correction else 1.0
            bc2 = 1 - beta2**t if bias_correction else 1.0
            v_hat = st["v"] / bc2
            denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
            update = lr * (st["m"] / bc1) / denom
            if decay_after and not l2:
                p.sub_(update).mul_(1 - lr * wd)
            else:
                p.sub_(update)
        out.append(tuple(p.clone() for p in params))
    return tuple(out)


#: (what the replay changes, what the submission then does wrong)
MISTAKES: tuple[tuple[dict[str, bool], str], ...] = (
    (
        {"l2": True},
        "weight decay is added to the gradient (L2 regularisation, Adam's weight_decay); "
        "AdamW decouples it: p.mul_(1 - lr * weight_decay), apart from the Adam update",
    ),
    (
        {"decay_after": True},
        "the weight decay is applied after the Adam update; AdamW decays the parameter "
        "first, then subtracts the update",
    ),
    (
        {"bias_correction": False},
        "there is no bias correction: divide exp_avg by 1 - beta1**t and exp_avg_sq by "
        "1 - beta2**t, with t the parameter's own step count",
    ),
    (
        {"global_step": True},
        "the bias correction counts calls of step(), one count for every parameter; a "
        "parameter whose grad was None on some call has taken fewer steps: keep a step "
        "count in each parameter's state",
    ),
    (
        {"eps_inside": True},
        "eps is added inside the square root; AdamW divides by sqrt(v_hat) + eps",
    ),
    (
        {"ignore_groups": True},
        "every parameter uses the constructor's defaults; read lr, betas, eps and "
        "weight_decay from its own param_group",
    ),
    (
        {"none_as_zero": True},
        "a parameter whose .grad is None is updated as if its gradient were zero (its "
        "moments decay and weight decay shrinks it); skip it",
    ),
    (
        {"closure_late": True},
        "the steps called with a closure change nothing: call the closure first (under "
        "torch.enable_grad()), since it computes the gradients that step uses",
    ),
    (
        {"lose_state": True},
        "the state does not survive state_dict() and load_state_dict() into a fresh "
        "optimizer: keep step, exp_avg and exp_avg_sq in self.state[p], which the base "
        "class saves and restores",
    ),
)


def _names(plan: OptimPlan) -> list[str]:
    return [
        f"group {g} parameter {i} {shape_text(p.shape)}"
        for g, group in enumerate(plan.groups)
        for i, p in enumerate(group)
    ]


def _params(rec: Any, plan: OptimPlan, what: str) -> list[torch.Tensor]:
    if not isinstance(rec, list) or len(rec) != sum(len(g) for g in plan.groups):
        raise Malformed(f"{what}: parameter list")
    return [tensor(t, f"{what}: a parameter") for t in rec]


def _worst(got: list[torch.Tensor], want: tuple[torch.Tensor, ...], plan: OptimPlan) -> str | None:
    """None when `got` matches `want`, else the parameter that differs most."""
    worst, where = 0.0, None
    for name, g, w in zip(_names(plan), got, want, strict=True):
        if g.shape != w.shape:
            return f"{name} has shape {shape_text(g.shape)}"
        if not torch.allclose(g.double(), w, rtol=RTOL, atol=ATOL, equal_nan=False):
            diff = float((g.double() - w).abs().max()) if g.numel() else 0.0
            if where is None or not diff <= worst:
                worst, where = diff, name
    return None if where is None else f"{where} differs by up to {worst:.3g}"


def _diagnose(plan: OptimPlan, step: int, got: list[torch.Tensor], resumed: bool) -> str:
    matches = [
        why
        for flags, why in MISTAKES
        if (resumed or not flags.get("lose_state"))
        and _worst(got, adamw(plan, **flags)[step], plan) is None
    ]
    if not matches:
        return "it matches none of the usual mistakes; compare your update with the statement"
    return "; or ".join(matches)


def _closure_returns(pairs: Any, plan: OptimPlan, name: str) -> None:
    wanted = dict(plan.closures)
    if not isinstance(pairs, list):
        raise Malformed("returned")
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)):
            raise Malformed("returned pair")
        step, value = pair
        loss = wanted.get(step)
        if loss is None:
            raise Malformed("a closure step the judge did not ask for")
        if type(value) is torch.Tensor and value.numel() == 1:
            value = float(value.double().reshape(()))
        if not isinstance(value, float) or abs(value - loss) > 1e-12 + 1e-9 * abs(loss):
            shown = f"{value:.6g}" if isinstance(value, float) else _describe(value)
            raise CheckFailed(
                f"{name}.step(closure) on step {step + 1} returns {shown}, but the closure "
                f"returned the loss {loss:.6g}: call the closure (under torch.enable_grad()) "
                "before using the gradients, and return what it returns",
                step=step + 1,
            )


def _describe(value: Any) -> str:
    if isinstance(value, dict) and "$type" in value:
        return str(value["$type"])
    describe = getattr(value, "describe", None)
    return describe() if callable(describe) else type(value).__name__


def _compare(ctx: Context, plan: OptimPlan, records: list, first: int, resumed: bool) -> None:
    name = ctx.task.class_name
    for offset, rec in enumerate(records):
        step = first + offset
        if step >= len(plan.expected):
            raise Malformed("more steps than asked for")
        what = f"step {step + 1}" + (" after the round trip" if resumed else "")
        got = _params(rec, plan, what)
        worst = _worst(got, plan.expected[step], plan)
        if worst is not None:
            where = (
                f"after step {step + 1} (the judge moved the state_dict into a fresh "
                f"{name} after step {plan.resume_at})"
                if resumed
                else f"after step {step + 1}"
            )
            raise CheckFailed(
                f"{where} the parameters differ from AdamW's ({worst}): "
                f"{_diagnose(plan, step, got, resumed)}",
                step=step + 1,
                resumed=resumed,
            )


def optimizer(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    plan = ctx.optim
    if plan is None:
        raise Malformed("no optimizer plan")
    name, n, k = ctx.task.class_name, len(plan.grads), plan.resume_at
    steps = get(data, "steps", list)
    _compare(ctx, plan, steps, 0, resumed=False)
    _closure_returns(data.get("returned", []), plan, name)
    resumed = data.get("resumed")
    if isinstance(resumed, list):
        _compare(ctx, plan, resumed, k, resumed=True)
        _closure_returns(data.get("resumed_returned", []), plan, name)
    if error is not None:
        phase = explain.cap(str(error.get("phase", "a step")), 80)
        if error.get("resumed"):
            phase += f" of the fresh {name} that loaded the state_dict saved after step {k}"
        raise CheckFailed(explain.exception(error, f"{phase} ({name})"))
    if len(steps) != n or not isinstance(resumed, list) or len(resumed) != n - k:
        raise Malformed("wrong number of steps")
    groups = len(plan.groups)
    return (
        f"{n} steps on {groups} parameter groups match AdamW (decoupled weight decay, "
        f"per-parameter bias correction, parameters without a gradient skipped), "
        f"step(closure) returns the closure's loss, and a fresh {name} that loads the "
        f"state_dict after step {k} carries on the same",
        {"steps": n, "groups": groups, "resumed_after": k},
    )

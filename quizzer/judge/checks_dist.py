"""The distribution check: a sampling function judged by the draws it makes.

Called by `quizzer.judge.runner` (`plan_distribution`, before the run) and by
`quizzer.judge.verdicts` (`distribution`). The judge draws each case's logits and
settings from the run's seed (`spec.distribution.cases`: temperatures near 0 and
large, top_k = 1, ties at the top-k and top-p boundaries, a tiny top_p, all three
together); the worker calls `sample(logits, temperature, top_k, top_p, generator)`
three times per case on a batch that repeats two logits rows `draws` times each (a
generator seeded by the judge; the same seed with the global RNG reseeded elsewhere;
the same generator again, now advanced) and sends back the ids. Here the judge
computes the target distribution itself (`quizzer.judge.stats`), fails any id of
probability 0 at once, tests each row's counts with a pooled chi-square test at
`alpha`, and requires the second call to repeat the first and the third to differ.
"""

from __future__ import annotations

import math
import random
from typing import Any

import torch

from quizzer.bank.models import Coding, DistributionSpec
from quizzer.judge import explain
from quizzer.judge.facts import CheckFailed, Context, Malformed, get, shape_text, tensor
from quizzer.judge.plans import DistPlan, DrawCase
from quizzer.judge.result import Metric
from quizzer.judge.stats import chi_square, collision_log_probability, target_distribution

#: A third call whose draws may equal the first's by chance with at most this
#: probability must draw something else (log scale).
LOG_COLLISION = math.log(1e-12)
#: The calls of each case: (generator, global RNG) -> what a correct sampler does.
CALLS = ("seeded", "same seed, global RNG reseeded", "same generator again")


def plan_distribution(task: Coding, seed: int) -> DistPlan:
    spec = task.spec.distribution
    assert spec is not None
    rng = random.Random(seed * 7 + 5)
    gen = torch.Generator().manual_seed(seed * 7 + 6)
    cases = tuple(_case(kind, spec, rng, gen) for kind in spec.cases)
    return DistPlan(cases, spec.draws)


def _spaced(vocab: int, scale: float, gen: torch.Generator) -> torch.Tensor:
    """`vocab` distinct logits, sorted from the largest down, neighbours at least
    0.1 * scale apart (so that no rounding reorders two of them)."""
    gaps = scale * (0.1 + torch.rand(vocab, generator=gen, dtype=torch.float64))
    values = -gaps.cumsum(0)
    return (values - values.mean()).float()


def _probs(sorted_logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    return torch.softmax(sorted_logits.double() / temperature, 0)


def _case(kind: str, spec: DistributionSpec, rng: random.Random, gen: torch.Generator) -> DrawCase:
    """One case of `kind`, drawn from the run's seed: logits sorted from the largest
    down (shuffled at the end), and settings that put every boundary far from where a
    float32 computation could round it the other way."""
    low, high = spec.vocab
    vocab = rng.randint(low, high)
    temperature, top_k, top_p = 1.0, 0, 1.0
    v = _spaced(vocab, rng.uniform(0.2, 0.4), gen)
    if kind == "hot":
        temperature = rng.uniform(1.5, 3.0)
    elif kind == "cold":
        temperature = rng.uniform(0.3, 0.6)
    elif kind == "near_zero":
        # two tokens tie for the top, the rest 1 or more below: at T <= 0.05 they draw
        # each half the time and everything else about never (e^-20)
        temperature = rng.uniform(0.01, 0.05)
        v[1] = v[0]
        v[2:] -= 1.0
    elif kind == "top_k_1":
        top_k = 1
    elif kind == "top_k_tie":
        top_k = rng.randint(2, 6)
        v = _spaced(vocab, 0.15, gen)
        v[top_k] = v[top_k - 1]  # the (k+1)-th ties with the k-th: both are kept
    elif kind == "top_p_tiny":
        top_p = 0.5 * float(_probs(v)[0])  # only the most probable token is kept
    elif kind in ("top_p", "top_p_tie"):
        m = rng.randint(2, 4)  # the m-th most probable token reaches top_p
        if kind == "top_p_tie":
            v[m] = v[m - 1]  # the token after it ties with it: both are kept
        q = _probs(v)
        top_p = float(q[: m - 1].sum() + rng.uniform(0.3, 0.7) * q[m - 1])
    elif kind == "combined":
        # nearly flat logits, so that the top k hold well under top_p of the whole
        # softmax: top-p must run on the top-k distribution renormalised
        temperature = rng.uniform(0.6, 0.9)
        top_k = rng.randint(4, 6)
        v = _spaced(vocab, 0.1, gen)
        kept = _probs(v[:top_k], temperature)
        m = rng.randint(2, top_k - 2)
        top_p = float(kept[: m - 1].sum() + rng.uniform(0.3, 0.7) * kept[m - 1])
    order = torch.randperm(vocab, generator=gen)
    first = torch.empty_like(v)
    first[order] = v
    shift = rng.uniform(-2.0, 2.0)
    second = first[torch.randperm(vocab, generator=gen)] + shift
    logits = torch.stack([first, second])
    target = target_distribution(logits, temperature, top_k, top_p)
    seed = rng.randrange(2**31)
    return DrawCase(
        kind,
        logits,
        round(temperature, 6),
        top_k,
        top_p,
        seed,
        (rng.randrange(2**31), rng.randrange(2**31)),
        target,
    )


def settings(case: DrawCase) -> str:
    """The case as the statement's call: sample(logits (2 rows of V), T, k, p)."""
    return (
        f"temperature={case.temperature:g}, top_k={case.top_k}, top_p={case.top_p:.6g} "
        f"({case.kind} case, {case.logits.shape[1]} tokens)"
    )


def distribution(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    plan = ctx.dist
    spec = ctx.task.spec.distribution
    if plan is None or spec is None:
        raise Malformed("no distribution plan")
    records = get(data, "cases", list)
    name = ctx.task.class_name
    smallest = 1.0
    for case, rec in zip(plan.cases, records, strict=False):
        if not isinstance(rec, dict):
            raise Malformed("case record")
        smallest = min(smallest, _judge_case(name, spec, plan.draws, case, rec))
    if error is not None:
        case = plan.cases[min(len(records), len(plan.cases) - 1)]
        doing = f"{name}(logits, ...) with {settings(case)}"
        raise CheckFailed(explain.exception(error, doing), case=case.kind)
    if len(records) != len(plan.cases):
        raise Malformed("wrong number of cases")
    tests = 2 * len(plan.cases)
    return (
        f"{len(plan.cases)} cases x 2 logits rows x {plan.draws} draws follow the target "
        f"distribution (smallest p-value {smallest:.3g}; each row is tested at "
        f"alpha {spec.alpha:g}, {tests} tests); the same generator seed repeats the "
        "draws and a generator in another state changes them",
        {
            "cases": len(plan.cases),
            "draws": plan.draws,
            "alpha": spec.alpha,
            "smallest_p_value": smallest,
        },
    )


def _ids(value: Any, case: DrawCase, draws: int, call: str, name: str) -> torch.Tensor:
    """The ids one call returned: a plain int64 tensor of shape (rows,), in range."""
    rows, vocab = 2 * draws, case.logits.shape[1]
    t = tensor(value, f"{name} ({call} call, {settings(case)}) returns something that")
    if t.dtype != torch.int64:
        raise CheckFailed(
            f"{name} returns a tensor of dtype {t.dtype}; return int64 token ids, one per "
            "row (torch.multinomial gives them)"
        )
    if tuple(t.shape) != (rows,):
        hint = " (squeeze the sample dimension)" if tuple(t.shape) == (rows, 1) else ""
        raise CheckFailed(
            f"for logits of shape ({rows}, {vocab}), {name} returns ids of shape "
            f"{shape_text(t.shape)}; expected ({rows},), one id per row{hint}"
        )
    if rows and (int(t.min()) < 0 or int(t.max()) >= vocab):
        raise CheckFailed(
            f"{name} returns ids outside [0, {vocab}) for logits of {vocab} tokens: "
            f"{int(t.min())} to {int(t.max())}"
        )
    return t


def _judge_case(
    name: str, spec: DistributionSpec, draws: int, case: DrawCase, rec: dict[str, Any]
) -> float:
    """Fails `case` if its draws are wrong; returns the smaller p-value of its rows."""
    changed = rec.get("changed")
    if isinstance(changed, list) and 0 in changed:
        raise CheckFailed(
            f"{name} changed the caller's logits in place (with {settings(case)}): work on "
            "a new tensor (logits / temperature, masked_fill, torch.where), not on logits "
            "itself (logits /= ..., logits[...] = -inf)"
        )
    got = get(rec, "draws", list)
    if len(got) != len(CALLS):
        raise Malformed("wrong number of calls")
    first, again, advanced = (
        _ids(v, case, draws, call, name) for v, call in zip(got, CALLS, strict=True)
    )
    smallest = 1.0
    for row in range(2):
        ids = first[row::2]
        probs = case.target[row]
        impossible = probs[ids] == 0
        if bool(impossible.any()):
            token = int(ids[impossible][0])
            raise CheckFailed(
                f"with {settings(case)}, {name} drew token {token} of logits row {row}, "
                f"whose logit {float(case.logits[row, token]):.4g} is outside what the "
                f"statement keeps ({_kept_text(case, row)}): it has probability 0",
                case=case.kind,
                token=token,
            )
        counts = torch.bincount(ids, minlength=probs.shape[0])
        fit = chi_square(probs, counts, spec.min_expected)
        smallest = min(smallest, fit.p_value)
        if fit.p_value < spec.alpha:
            tokens, expected, observed = fit.worst()
            which = f"token {tokens[0]}" if len(tokens) == 1 else f"tokens {list(tokens)}"
            raise CheckFailed(
                f"with {settings(case)}, the draws of logits row {row} do not follow the "
                f"target distribution: chi-square {fit.statistic:.1f} with {fit.df} "
                f"degree{'s' if fit.df != 1 else ''} of freedom, p-value {fit.p_value:.2g} < "
                f"alpha {spec.alpha:g}. Most off: "
                f"{which}, expected {expected:.1f} of {draws} draws, drawn {observed}. "
                f"Target: {_target_text(probs)}; drawn: {_drawn_text(probs, counts)}",
                case=case.kind,
                p_value=fit.p_value,
                statistic=fit.statistic,
            )
    if not torch.equal(first, again):
        raise CheckFailed(
            f"with {settings(case)}, two calls with generators seeded alike draw different "
            f"ids ({int((first != again).sum())} of {first.numel()} rows differ; the global "
            "RNG was reseeded between them): draw from the generator argument "
            "(torch.multinomial(probs, 1, generator=generator)), not the global RNG"
        )
    if collision_log_probability(case.target, draws) < LOG_COLLISION and torch.equal(
        first, advanced
    ):
        raise CheckFailed(
            f"with {settings(case)}, a second call with the same generator, which the first "
            "call advanced, draws exactly the same ids: the draws must come from the "
            "generator's state (torch.multinomial(..., generator=generator)), not from a "
            "generator seeded afresh on each call"
        )
    return smallest


def _kept_text(case: DrawCase, row: int) -> str:
    kept = int((case.target[row] > 0).sum())
    return f"{kept} of {case.logits.shape[1]} tokens have a chance"


def _target_text(probs: torch.Tensor, shown: int = 5) -> str:
    top = probs.argsort(descending=True)[:shown]
    return ", ".join(f"{int(i)}: {float(probs[i]):.3f}" for i in top)


def _drawn_text(probs: torch.Tensor, counts: torch.Tensor, shown: int = 5) -> str:
    top = probs.argsort(descending=True)[:shown]
    total = max(int(counts.sum()), 1)
    return ", ".join(f"{int(i)}: {int(counts[i]) / total:.3f}" for i in top)

"""The statistics of the `distribution` check, on the trusted side: the exact
distribution that temperature, top-k and top-p sampling draw from, and a pooled
chi-square goodness-of-fit test of observed draws against it.

Called by `quizzer.judge.checks_dist` (the verdict, from ids the worker sent) and by
the tests. Pure functions of plain tensors, in float64; no scipy: the p-value is the
regularised upper incomplete gamma function, `torch.special.gammaincc`.

The sampling rule, as the `sampling` task states it:

1. divide the logits by the temperature;
2. top-k (`top_k > 0`): keep every token whose logit is at least the k-th largest
   (tokens tied with the k-th are all kept);
3. top-p (`top_p < 1`): on the softmax of what is left, sorted from the most probable
   down, find the first token at which the running total reaches `top_p` (the most
   probable token always counts); keep every token at least as probable as it (tokens
   tied with it are all kept);
4. sample from the softmax of the kept logits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def target_distribution(
    logits: torch.Tensor, temperature: float, top_k: int, top_p: float
) -> torch.Tensor:
    """The probability of each token (float64, shape `logits.shape`, rows summing to
    1) under the sampling rule above; removed tokens have probability exactly 0."""
    z = logits.double() / float(temperature)
    vocab = z.shape[-1]
    if 0 < top_k < vocab:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, -math.inf)
    probs = torch.softmax(z, dim=-1)
    if top_p < 1.0:
        ordered = probs.sort(dim=-1, descending=True).values
        total = ordered.cumsum(dim=-1)
        # the first place where the running total reaches top_p; the top token always
        reach = (total < float(top_p)).sum(dim=-1, keepdim=True).clamp(max=vocab - 1)
        threshold = ordered.gather(-1, reach)
        probs = torch.where(probs >= threshold, probs, torch.zeros_like(probs))
        probs = probs / probs.sum(dim=-1, keepdim=True)
    return probs


@dataclass(frozen=True)
class Fit:
    """A chi-square goodness-of-fit result: the statistic, its degrees of freedom
    (cells after pooling minus one), the p-value, and the pooled cells (expected and
    observed counts), largest discrepancy first."""

    statistic: float
    df: int
    p_value: float
    cells: tuple[tuple[tuple[int, ...], float, int], ...]

    def worst(self) -> tuple[tuple[int, ...], float, int]:
        """The cell (its tokens, expected and observed count) that departs most."""
        return self.cells[0]


def pool(expected: torch.Tensor, minimum: float) -> list[list[int]]:
    """Tokens of positive expected count grouped so that each group expects at least
    `minimum` draws: from the least expected up, tokens join a group until it is large
    enough; a last group that falls short joins the one before it. Cells whose
    expectation is far below `minimum` make the chi-square approximation's tail too
    light (a correct sampler would fail more often than the stated rate)."""
    order = [int(i) for i in torch.argsort(expected, stable=True) if float(expected[i]) > 0]
    groups: list[list[int]] = []
    current: list[int] = []
    total = 0.0
    for token in order:
        current.append(token)
        total += float(expected[token])
        if total >= minimum:
            groups.append(current)
            current, total = [], 0.0
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def chi_square(probs: torch.Tensor, counts: torch.Tensor, minimum: float) -> Fit:
    """Pearson's chi-square test of `counts` (draws per token) against `probs` (one
    row), with cells pooled by `pool`. Tokens of probability 0 are left out: the
    caller fails any draw of one before testing. One pooled cell (a point mass) has
    nothing to test: p-value 1."""
    n = float(counts.sum())
    expected = probs.double() * n
    groups = pool(expected, minimum)
    cells = []
    stat = 0.0
    for group in groups:
        e = float(expected[group].sum())
        o = int(counts[group].sum())
        stat += (o - e) ** 2 / e
        cells.append((tuple(sorted(group)), e, o))
    df = len(groups) - 1
    p_value = 1.0 if df < 1 else chi_square_sf(stat, df)
    cells.sort(key=lambda c: -((c[2] - c[1]) ** 2) / c[1])
    return Fit(stat, df, p_value, tuple(cells))


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X >= statistic) for X chi-square with `df` degrees of freedom: the
    regularised upper incomplete gamma function Q(df / 2, statistic / 2)."""
    a = torch.tensor(df / 2.0, dtype=torch.float64)
    x = torch.tensor(max(statistic, 0.0) / 2.0, dtype=torch.float64)
    return float(torch.special.gammaincc(a, x))


def collision_log_probability(probs: torch.Tensor, draws: int) -> float:
    """log P(two independent batches of `draws` draws from each row of `probs` agree
    everywhere): how sure the judge can be that a correct sampler, given a generator in
    another state, draws something else."""
    same = (probs.double() ** 2).sum(dim=-1).clamp(max=1.0)
    return float(draws * torch.log(same).sum())

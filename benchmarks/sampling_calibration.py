"""How honest the distribution check's chi-square test is: the rate at which counts
drawn from the right distribution fail it, against the nominal alpha, for cells pooled
to a few minimum expected counts (`quizzer.judge.stats.pool`).

A correct sampler's counts are drawn directly (sequential binomials: a multinomial of
`draws` per simulation), so millions of simulations take seconds; the pooling and the
p-value are the judge's own. Prints, per distribution and minimum, the observed rate
divided by alpha (1.0 is honest; above 1 a correct sampler fails more often than the
statement says).

    .venv/bin/python benchmarks/sampling_calibration.py --sims 2000000
"""

from __future__ import annotations

import argparse

import torch

from quizzer.judge.stats import pool


def counts(probs: torch.Tensor, draws: int, sims: int, gen: torch.Generator) -> torch.Tensor:
    """`sims` multinomial count vectors of `draws` draws each, shape (sims, V)."""
    left = torch.full((sims,), float(draws), dtype=torch.float64)
    mass, columns = 1.0, []
    for p in probs[:-1].tolist():
        share = min(1.0, p / mass) if mass > 0 else 0.0
        c = torch.binomial(left, torch.full_like(left, share), generator=gen)
        columns.append(c)
        left, mass = left - c, mass - p
    columns.append(left)
    return torch.stack(columns, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2_000_000)
    parser.add_argument("--draws", type=int, default=2000)
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(3)
    alphas = (1e-3, 1e-4, 1e-5, 1e-6)
    print(f"{args.sims} simulations of {args.draws} draws; observed rate / alpha")
    print("vocab  spread  minimum  cells  " + "  ".join(f"{a:>7g}" for a in alphas))
    for vocab, spread in ((12, 2.0), (40, 2.0), (40, 0.5)):
        probs = torch.softmax(torch.randn(vocab, generator=gen, dtype=torch.float64) * spread, 0)
        drawn = counts(probs, args.draws, args.sims, gen)
        for minimum in (5.0, 20.0, 100.0):
            groups = pool(probs * args.draws, minimum)
            expected = torch.stack([(probs * args.draws)[g].sum() for g in groups])
            observed = torch.stack([drawn[:, g].sum(1) for g in groups], 1)
            stat = ((observed - expected) ** 2 / expected).sum(1)
            df = torch.tensor((len(groups) - 1) / 2, dtype=torch.float64)
            p_values = torch.special.gammaincc(df, stat / 2)
            rates = [float((p_values < a).double().mean()) / a for a in alphas]
            print(
                f"{vocab:5d}  {spread:6.1f}  {minimum:7.0f}  {len(groups):5d}  "
                + "  ".join(f"{r:7.2f}" for r in rates)
            )


if __name__ == "__main__":
    main()

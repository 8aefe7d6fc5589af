"""Ties among the best answers of a search task (`spec.reference.ties`), for the
reference check in `quizzer.judge.checks_ref`.

Beam search over a bigram table has exact ties: two token sequences that use the same
bigrams in another order have the same score, and which of them a solution returns
depends on how its `topk` and `argmax` order equal values (in float32 the two sums
also round differently). A sample whose tokens differ from the reference's is then
still right when three things hold, each computed here from the judge's own inputs:
its tokens are a well-formed answer, the judge's scoring of those tokens gives the
score the submission returned, and that score equals the reference's best. A solution
that returns the best score beside the tokens of another hypothesis (tokens not
reordered with their beam) fails the second; a worse hypothesis fails the third.
"""

from __future__ import annotations

import torch

from quizzer.bank.models import JudgeSpec, Tolerance
from quizzer.judge.plans import Trial


def accept_ties(
    spec: JudgeSpec,
    trial: Trial,
    got: torch.Tensor,
    want: torch.Tensor,
    tol: Tolerance,
    rounding: float,
) -> torch.Tensor:
    """`got` with every sample that is a tie for the best replaced by the reference's
    row (so that the comparison that follows sees no difference there); the other
    samples as they are."""
    if spec.reference.ties != "bigram_beam" or got.shape != want.shape or got.dim() != 2:
        return got
    init = {**spec.init, **(trial.init or {})}
    length = int(init["max_len"])
    if got.shape[1] != length + 1:  # (tokens, score), packed (spec.outputs)
        return got
    logits = trial.inputs[0].double()
    out = got.clone()
    for b in range(got.shape[0]):
        mine, best = got[b].double(), want[b].double()
        if torch.equal(mine[:length], best[:length]):
            continue
        allowed = tol.atol + rounding + tol.rtol * abs(float(best[length]))
        score = float(mine[length])
        if abs(score - float(best[length])) > allowed:
            continue  # not as good as the best: the comparison reports it
        own = bigram_beam_score(logits[b], mine[:length], int(init["eos_id"]), float(init["alpha"]))
        if own is not None and abs(own - score) <= allowed:
            out[b] = want[b].to(out.dtype)
    return out


def bigram_beam_score(
    logits: torch.Tensor, tokens: torch.Tensor, eos_id: int, alpha: float
) -> float | None:
    """The penalised score of `tokens` as the beam-search statement defines it (decoding
    starts after token 0; after the first `eos_id` only `eos_id` follows, at no cost;
    `L` counts that `eos_id`, else the whole length; score / ((5 + L) / 6) ** alpha),
    or None when `tokens` is not a well-formed answer (not whole numbers within the
    vocabulary, or something other than `eos_id` after the first one)."""
    vocab = logits.shape[-1]
    if not bool(torch.isfinite(tokens).all()) or not bool((tokens == tokens.round()).all()):
        return None
    ids = [int(t) for t in tokens]
    if any(t < 0 or t >= vocab for t in ids):
        return None
    log_probs = logits.double().log_softmax(dim=-1)
    total, prev, length, finished = 0.0, 0, len(ids), False
    for t, token in enumerate(ids):
        if finished:  # only eos_id may follow, at no cost
            if token != eos_id:
                return None
            continue
        total += float(log_probs[prev, token])
        prev = token
        if token == eos_id:
            finished, length = True, t + 1
    return total / ((5 + length) / 6) ** alpha

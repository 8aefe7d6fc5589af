"""Ties among equally good answers of a search (`quizzer.judge.ties`): beam search over a
bigram table has exact ties, so the reference check accepts another hypothesis of the
best score, scored by the judge itself, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from quizzer.bank.models import Tolerance
from quizzer.judge.plans import Trial
from quizzer.judge.ties import accept_ties, bigram_beam_score
from tests.judge_support import task

EOS, ALPHA, LENGTH = 3, 0.6, 4
TOL = Tolerance(rtol=1e-4, atol=1e-5)


def tied_logits() -> torch.Tensor:
    """A (1, 6, 6) table in which 1 0 2 0 and 2 0 1 0 (after BOS 0) are the best answers:
    they use the same four bigrams, which are far likelier than the rest."""
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(1, 6, 6, generator=gen, dtype=torch.float64)
    for prev, nxt in ((0, 1), (1, 0), (0, 2), (2, 0)):
        logits[0, prev, nxt] = 6.0
    return logits


def packed(tokens: list[int], score: float) -> torch.Tensor:
    return torch.tensor([[*map(float, tokens), score]], dtype=torch.float64)


def judge_sees(tokens: list[int], score: float, best: list[int]) -> torch.Tensor:
    """What the comparison sees for `tokens` returned with `score` where the reference
    returned `best` with its own score."""
    spec = task("beam-search").spec.model_copy(
        update={"init": {"beam_width": 4, "max_len": LENGTH, "eos_id": EOS, "alpha": ALPHA}}
    )
    logits = tied_logits()
    want = packed(best, bigram_beam_score(logits[0], torch.tensor(best), EOS, ALPHA))
    trial = Trial((logits,), 1.0, None, ())
    return accept_ties(spec, trial, packed(tokens, score), want, TOL, 0.0), want


def test_the_same_bigrams_in_another_order_score_the_same():
    logits = tied_logits()[0]
    one = bigram_beam_score(logits, torch.tensor([1, 0, 2, 0]), EOS, ALPHA)
    other = bigram_beam_score(logits, torch.tensor([2, 0, 1, 0]), EOS, ALPHA)
    assert one is not None and other is not None and one == pytest.approx(other, abs=1e-12)


def test_an_equally_good_answer_is_taken_as_the_references():
    logits = tied_logits()[0]
    score = bigram_beam_score(logits, torch.tensor([2, 0, 1, 0]), EOS, ALPHA)
    seen, want = judge_sees([2, 0, 1, 0], score + 1e-7, best=[1, 0, 2, 0])  # float32 rounding
    assert torch.equal(seen, want)


def test_the_best_score_beside_another_hypothesis_is_not_a_tie():
    """Tokens not reordered with their beam: the returned score is the best, but the
    tokens are another hypothesis, whose own score the judge computes."""
    best = [1, 0, 2, 0]
    logits = tied_logits()[0]
    score = bigram_beam_score(logits, torch.tensor(best), EOS, ALPHA)
    seen, want = judge_sees([4, 4, 1, 2], score, best=best)
    assert not torch.equal(seen, want)


def test_a_worse_hypothesis_with_its_own_score_is_not_a_tie():
    logits = tied_logits()[0]
    worse = [5, 5, 5, 5]
    score = bigram_beam_score(logits, torch.tensor(worse), EOS, ALPHA)
    seen, want = judge_sees(worse, score, best=[1, 0, 2, 0])
    assert score < want[0, -1] - 1e-3 and not torch.equal(seen, want)


@pytest.mark.parametrize(
    "tokens",
    [[3, 1, 3, 3], [1.5, 0, 2, 0], [1, 0, 2, 6], [-1, 0, 2, 0], [float("nan"), 0, 2, 0]],
    ids=["after-eos", "fraction", "past-vocabulary", "negative", "nan"],
)
def test_a_malformed_answer_has_no_score(tokens):
    assert bigram_beam_score(tied_logits()[0], torch.tensor(tokens), EOS, ALPHA) is None


def test_eos_ends_the_length_and_repeats_at_no_cost():
    logits = tied_logits()[0]
    log_probs = logits.log_softmax(-1)
    got = bigram_beam_score(logits, torch.tensor([1, EOS, EOS, EOS]), EOS, ALPHA)
    raw = float(log_probs[0, 1] + log_probs[1, EOS])
    assert got == pytest.approx(raw / ((5 + 2) / 6) ** ALPHA, abs=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 7, 99])
def test_correct_beam_searches_that_break_ties_otherwise_pass_on_other_seeds(seed):
    """Two correct solutions from the golden cases, on seeds where their tie-breaking
    differs from the reference's (seed 3 failed both before ties were scored)."""
    from quizzer.judge.runner import Options, judge_file
    from tests.judge_support import warm_sandbox

    coding = task("beam-search")
    for case in ("beam_alt_per_sample_lists", "beam_alt_topk_per_beam"):
        path = Path(__file__).parent / "judge_cases" / case / "submission.py"
        result = judge_file(path, coding, warm_sandbox(), Options(device="cpu", seed=seed))
        assert result.status.value == "pass", (case, result.message)


def test_a_task_that_asks_for_beam_ties_needs_tokens_a_score_and_the_arguments():
    from pydantic import ValidationError

    from quizzer.bank.models import JudgeSpec

    spec = task("beam-search").spec.model_dump()
    JudgeSpec.model_validate(spec)  # the task as it is
    without_eos = {**spec, "init": {k: v for k, v in spec["init"].items() if k != "eos_id"}}
    with pytest.raises(ValidationError, match="init lacks eos_id"):
        JudgeSpec.model_validate(without_eos)
    swapped = {**spec, "outputs": list(reversed(spec["outputs"]))}
    with pytest.raises(ValidationError, match=r"needs outputs \(tokens, int64; score\)"):
        JudgeSpec.model_validate(swapped)

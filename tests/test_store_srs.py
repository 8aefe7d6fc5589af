"""How an answer becomes an FSRS rating: correctness, hints and time."""

from __future__ import annotations

import pytest
from fsrs import Rating

from quizzer.store.srs import EXPECTED_SECONDS, derive_rating, self_rating_score


def rate(correct=True, score=None, hints=0, seconds=10.0, qtype="single_choice"):
    score = (1.0 if correct else 0.0) if score is None else score
    return derive_rating(
        correct=correct, score=score, hints_used=hints, seconds=seconds, qtype=qtype
    )


def test_a_wrong_answer_is_again():
    assert rate(correct=False) == Rating.Again


def test_a_mostly_right_multiple_choice_is_hard():
    assert rate(correct=False, score=0.5, qtype="multiple_choice") == Rating.Hard
    assert rate(correct=False, score=0.25, qtype="multiple_choice") == Rating.Again


def test_right_at_a_normal_pace_is_good():
    assert rate(seconds=EXPECTED_SECONDS["single_choice"]) == Rating.Good


def test_right_and_fast_without_hints_is_easy():
    assert rate(seconds=0.3 * EXPECTED_SECONDS["single_choice"]) == Rating.Easy


@pytest.mark.parametrize("hints", [1, 3])
def test_any_hint_makes_a_right_answer_hard(hints):
    assert rate(hints=hints, seconds=1.0) == Rating.Hard


def test_very_slow_right_answer_is_hard():
    assert rate(seconds=3.5 * EXPECTED_SECONDS["numeric"], qtype="numeric") == Rating.Hard


def test_the_expected_time_depends_on_the_type():
    seconds = 12.0
    assert rate(seconds=seconds, qtype="true_false") == Rating.Good
    assert rate(seconds=seconds, qtype="code_output") == Rating.Easy


@pytest.mark.parametrize(
    ("rating", "correct", "score"),
    [(Rating.Again, False, 0.0), (Rating.Hard, False, 0.5), (Rating.Good, True, 1.0),
     (Rating.Easy, True, 1.0)],
)  # fmt: skip
def test_self_ratings_count_in_accuracy(rating, correct, score):
    assert self_rating_score(rating) == (correct, score)


def test_a_quick_right_answer_to_a_question_seen_the_first_time_is_only_good():
    """A lucky guess on a new question must not put it days away."""
    quick = 0.1 * EXPECTED_SECONDS["single_choice"]
    first = derive_rating(
        correct=True, score=1.0, hints_used=0, seconds=quick, qtype="single_choice",
        first_time=True,
    )  # fmt: skip
    assert first == Rating.Good
    assert rate(seconds=quick) == Rating.Easy  # seen before: easy

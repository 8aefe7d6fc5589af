"""The cohort page's statistics flag the questions worth a look: most candidates miss
it, or its favourite option is not the key."""

from __future__ import annotations

from collections import Counter

from quizzer.screen.html import LOW_RIGHT_SHARE, QuestionStats, _histogram, _option_ids


def test_a_distractor_picked_more_than_the_key_is_flagged():
    s = QuestionStats("q", "single_choice", 5, Counter(right=2, wrong=3), Counter(a=2, c=3))
    s.key = "a: Raw logits"
    assert s.flags() == ["more picked c than the key"]


def test_a_question_most_miss_is_flagged_and_a_fair_one_is_not():
    hard = QuestionStats("h", "true_false", 10, Counter(right=1, wrong=9))
    assert hard.right_share < LOW_RIGHT_SHARE
    assert hard.flags() == ["only 10% got it right"]
    fair = QuestionStats("f", "single_choice", 10, Counter(right=7, wrong=3), Counter(b=7, a=3))
    fair.key = "b: ..."
    assert fair.flags() == []


def test_keys_are_read_as_the_grader_words_them():
    assert _option_ids("a, c: Both layers") == ["a", "c"]
    assert _option_ids("b") == ["b"]


def test_the_histogram_has_a_bar_per_ten_percent():
    svg = _histogram([5.0, 15.0, 15.0, 100.0])
    assert svg.count("<rect") == 10
    assert "<title>10-20%: 2</title>" in svg and "<title>90-100%: 1</title>" in svg

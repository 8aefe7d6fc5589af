"""Grading of concept answers: right and wrong for every type, the edge cases of each
rule, and properties that hold for any response."""

from __future__ import annotations

import math
import string
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quizzer.bank import load_bank
from quizzer.bank.grading import (
    Grade,
    grade,
    grade_multiple_choice,
    normalise_output,
    normalise_text,
    parse_bool,
    parse_number,
    same_output,
    self_assess,
)
from quizzer.bank.models import (
    CodeOutput,
    MultipleChoice,
    Numeric,
    Open,
    ShortAnswer,
    SingleChoice,
    TrueFalse,
)

BASE = {"topic": "t", "difficulty": "easy", "prompt": "Q?", "explanation": "Because."}


def single(**kw) -> SingleChoice:
    options = [{"id": "a", "text": {"en": "Alpha", "zh": "甲"}}, {"id": "b", "text": "Beta"}]
    return SingleChoice(id="s-q", type="single_choice", options=options, answer="a", **BASE | kw)


def multiple(answer=("a", "b"), n_options=4) -> MultipleChoice:
    options = [{"id": chr(ord("a") + i), "text": f"Option {i}"} for i in range(n_options)]
    return MultipleChoice(id="m-q", type="multiple_choice", options=options, answer=answer, **BASE)


def true_false(answer=True) -> TrueFalse:
    return TrueFalse(id="tf-q", type="true_false", answer=answer, **BASE)


def numeric(answer=0.3, tolerance=0.0, unit=None) -> Numeric:
    return Numeric(id="n-q", type="numeric", answer=answer, tolerance=tolerance, unit=unit, **BASE)


def short(accepted=("zero_grad",), regex=None) -> ShortAnswer:
    return ShortAnswer(id="sa-q", type="short_answer", accepted=accepted, regex=regex, **BASE)


def code_output(answer="6\n[3, 2, 1]\n", options=()) -> CodeOutput:
    return CodeOutput(
        id="co-q", type="code_output", code="print(6)", answer=answer, options=options, **BASE
    )


def open_question() -> Open:
    return Open(
        id="o-q",
        type="open",
        model_answer={"en": "Eager is easy to debug.", "zh": "即时执行易于调试。"},
        rubric=["debugging", "speed", "export"],
        **BASE,
    )


# --- single_choice ------------------------------------------------------------------


def test_single_choice_right_and_wrong():
    assert grade(single(), "a") == Grade(True, 1.0, "a: Alpha", "Right.")
    wrong = grade(single(), "b")
    assert (wrong.correct, wrong.score) == (False, 0.0)
    assert "'b' is not the right option" in wrong.feedback


@pytest.mark.parametrize("response", [" a ", "A", ["a"]])
def test_single_choice_accepts_spacing_case_and_a_list(response):
    assert grade(single(), response).correct


@pytest.mark.parametrize("response", ["", None, "a,b", ["a", "b"], 1, True])
def test_single_choice_needs_exactly_one_pick(response):
    result = grade(single(), response)
    assert not result.correct
    assert result.score == 0.0


def test_single_choice_expected_text_follows_the_language():
    assert grade(single(), "b", lang="zh").expected == "a: 甲"


# --- multiple_choice ----------------------------------------------------------------


def test_multiple_choice_exact_set_is_full_credit_in_any_order():
    assert grade(multiple(), ["b", "a"]) == Grade(True, 1.0, "a, b", "Right.")
    assert grade(multiple(), "b, a").correct
    assert grade(multiple(), "a a b").correct


@pytest.mark.parametrize(
    ("picks", "score"),
    [
        (["a"], 0.5),  # one of two right
        (["a", "c"], 0.0),  # one right, one wrong
        (["a", "b", "c"], 0.5),  # both right, one wrong
        (["c", "d"], 0.0),  # floored at 0, not -1
        ([], 0.0),
        (["a", "zz"], 0.0),  # an unknown id counts as a wrong pick
    ],
)
def test_multiple_choice_partial_credit_rule(picks, score):
    result = grade(multiple(), picks)
    assert not result.correct
    assert result.score == pytest.approx(score)


def test_multiple_choice_partial_credit_with_three_right_options():
    result = grade(multiple(answer=("a", "b", "c"), n_options=5), ["a", "b", "e"])
    assert result.score == pytest.approx(1 / 3)
    assert "2 right pick(s), 1 wrong pick(s), 1 missed" in result.feedback


@given(st.sets(st.sampled_from("abcdef")), st.sets(st.sampled_from("abcdef"), min_size=1))
def test_multiple_choice_score_properties(picks, answer):
    question = multiple(answer=tuple(sorted(answer)), n_options=6)
    result = grade_multiple_choice(question, sorted(picks))
    assert 0.0 <= result.score <= 1.0
    assert result.correct == (picks == answer)
    assert (result.score == 1.0) == result.correct
    expected = max(0.0, (len(picks & answer) - len(picks - answer)) / len(answer))
    assert math.isclose(result.score, expected) or result.correct


# --- true_false ---------------------------------------------------------------------


@pytest.mark.parametrize("response", [True, "true", "True.", " yes ", "T", "对", "正确"])
def test_true_false_accepts_true_spellings(response):
    assert grade(true_false(True), response).correct
    assert not grade(true_false(False), response).correct


@pytest.mark.parametrize("response", [False, "false", "No", "f", "错", "否"])
def test_true_false_accepts_false_spellings(response):
    assert grade(true_false(False), response).correct
    assert grade(true_false(False), response).expected == "false"


@pytest.mark.parametrize("response", ["maybe", "", None, 1, 0.0, ["true"]])
def test_true_false_rejects_non_answers(response):
    result = grade(true_false(True), response)
    assert not result.correct
    assert result.feedback == "Answer true or false."
    assert parse_bool(response) is None


# --- numeric ------------------------------------------------------------------------


@pytest.mark.parametrize("response", [0.3, "0.3", " 0.30 ", "3e-1", "0.1"])
def test_numeric_exact_and_tolerance(response):
    question = numeric(answer=0.3, tolerance=0.2)
    assert grade(question, response).correct


def test_numeric_tolerance_boundary_counts_despite_float_rounding():
    # |0.31 - 0.3| is 0.010000000000000009 in floating point.
    assert grade(numeric(answer=0.3, tolerance=0.01), "0.31").correct
    assert not grade(numeric(answer=0.3, tolerance=0.01), "0.3101").correct


def test_numeric_without_tolerance_needs_the_exact_value():
    assert grade(numeric(answer=55), "55").correct
    result = grade(numeric(answer=55), 56)
    assert not result.correct
    assert result.feedback == "56 is off by 1."
    assert result.expected == "55"


def test_numeric_accepts_the_unit_and_digit_groups():
    question = numeric(answer=1000, tolerance=0, unit="MB")
    assert grade(question, "1000 MB").correct
    assert grade(question, "1,000mb").correct
    assert grade(question, "1_000").correct
    assert grade(question, 999).expected == "1000 MB"


@pytest.mark.parametrize("response", ["abc", "", None, True, "nan", "inf", float("nan"), ["1"]])
def test_numeric_rejects_non_numbers(response):
    result = grade(numeric(answer=0.3, tolerance=1e9), response)
    assert not result.correct
    assert result.feedback == "Give a number."
    assert parse_number(response) is None


@given(st.floats(-1e6, 1e6), st.floats(0, 100), st.floats(-1e6, 1e6))
def test_numeric_is_right_exactly_within_tolerance(answer, tolerance, given_value):
    result = grade(numeric(answer=answer, tolerance=tolerance), given_value)
    distance = abs(given_value - answer)
    if distance <= tolerance:
        assert result.correct
    elif distance > tolerance + 1e-6 * max(1.0, abs(answer), abs(given_value)):
        assert not result.correct


# --- short_answer -------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    ["zero_grad", "ZERO_GRAD", "  zero_grad.  ", "zero_grad!", "ｚｅｒｏ＿ｇｒａｄ", "zero_grad。"],
)
def test_short_answer_normalisation(response):
    assert grade(short(), response).correct


def test_short_answer_collapses_inner_whitespace():
    question = short(accepted=("define by run",))
    assert grade(question, "Define   by\n run").correct
    assert not grade(question, "define-by-run").correct


def test_short_answer_regex_must_match_the_whole_normalised_answer():
    question = short(accepted=("zero_grad",), regex=r"(optimizer\.)?zero_grad(\(\))?")
    assert grade(question, "optimizer.zero_grad()").correct
    assert grade(question, "Optimizer.Zero_Grad()").correct  # case folded first
    assert not grade(question, "call optimizer.zero_grad() first").correct


@pytest.mark.parametrize("response", ["", "   ", None, 3])
def test_short_answer_needs_text(response):
    result = grade(short(), response)
    assert not result.correct
    assert result.expected == "zero_grad"


def test_short_answer_wrong():
    result = grade(short(), "backward")
    assert (result.correct, result.score) == (False, 0.0)


@given(st.text(min_size=1, max_size=30))
def test_normalise_text_is_idempotent(text):
    assert normalise_text(normalise_text(text)) == normalise_text(text)


@given(
    st.text(alphabet=string.ascii_letters + string.digits + "_ 中文", min_size=1, max_size=20),
    st.sampled_from(["", " ", "  ", "\t"]),
    st.sampled_from(["", ".", "!", "?", "。"]),
)
def test_any_accepted_answer_in_any_case_and_spacing_is_right(word, space, punct):
    assume(word.strip())
    question = short(accepted=(word,))
    assert grade(question, space + word.upper() + punct + space).correct
    assert grade(question, space + word.lower().replace(" ", "   ") + space).correct


# --- code_output --------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    ["6\n[3, 2, 1]", "6  \n[3, 2, 1]   \n", "\n\n6\n[3, 2, 1]\n\n\n", "6\r\n[3, 2, 1]\r\n"],
)
def test_code_output_ignores_trailing_spaces_and_outer_blank_lines(response):
    assert grade(code_output(), response).correct


def test_code_output_keeps_inner_blank_lines_and_leading_spaces():
    question = code_output(answer="a\n\nb\n")
    assert grade(question, "a\n\nb").correct
    assert not grade(question, "a\nb").correct
    assert not grade(code_output(answer=" x"), "x").correct


def test_code_output_feedback_names_the_first_differing_line():
    result = grade(code_output(), "6\n[1, 2, 3]")
    assert not result.correct
    assert result.feedback == "Line 2 differs: expected '[3, 2, 1]', got '[1, 2, 3]'."
    assert grade(code_output(), "6").feedback == "Expected 2 line(s), got 1."


def test_code_output_accepts_an_option_id_or_the_text():
    options = [{"id": "a", "text": "6"}, {"id": "b", "text": "5"}]
    question = code_output(answer="6", options=options)
    assert grade(question, "a").correct
    assert grade(question, " A ").correct
    assert grade(question, "6").correct
    assert not grade(question, "b").correct


def test_code_output_without_options_treats_letters_as_output():
    assert not grade(code_output(answer="6"), "a").correct
    assert grade(code_output(answer="a"), "a").correct


@given(st.lists(st.text(alphabet="ab 1[]", max_size=8), max_size=5), st.integers(0, 3))
def test_code_output_padding_never_changes_the_verdict(lines, pad):
    text = "\n".join(lines)
    padded = "\n" * pad + "\n".join(line + " " * pad for line in lines) + "\n" * pad
    assert same_output(padded, text)
    assert normalise_output(padded) == normalise_output(text)


# --- open ---------------------------------------------------------------------------


def test_open_questions_return_a_self_assessment_marker():
    result = grade(open_question(), "anything at all")
    assert result.self_assess
    assert (result.correct, result.score) == (False, 0.0)
    assert result.expected == "Eager is easy to debug."
    assert grade(open_question(), "", lang="zh").expected == "即时执行易于调试。"


def test_self_assess_scores_the_ticked_rubric_points():
    question = open_question()
    assert self_assess(question, [0, 1, 2]).correct
    partial = self_assess(question, [0, 2, 2, 7])
    assert not partial.correct
    assert partial.score == pytest.approx(2 / 3)
    assert partial.feedback == "Missed: speed"
    assert self_assess(question, []).score == 0.0


# --- dispatch -----------------------------------------------------------------------


def test_grade_refuses_coding_tasks():
    bank = load_bank(
        [Path(__file__).parent / "bank_fixtures" / "good"], include_bundled=False, env={}
    )
    with pytest.raises(TypeError, match="graded by the judge"):
        grade(bank.tasks()[0], "anything")


@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.lists(st.text(max_size=3), max_size=4),
    )
)
def test_any_response_to_any_type_gives_a_score_in_range(response):
    for question in (single(), multiple(), true_false(), numeric(), short(), code_output()):
        result = grade(question, response)
        assert 0.0 <= result.score <= 1.0
        assert result.correct == (result.score == 1.0)
        assert result.expected
        assert result.feedback


def test_the_good_bank_answers_grade_as_right():
    bank = load_bank(
        [Path(__file__).parent / "bank_fixtures" / "good"], include_bundled=False, env={}
    )
    for question in bank.questions:
        if question.type in ("coding", "open"):
            continue
        answer = getattr(question, "answer", None)
        if question.type == "short_answer":
            answer = question.accepted[0]
        assert grade(question, answer).correct, question.id

"""Grading of concept answers: right and wrong for every type, the edge cases of each
rule, and properties that hold for any response."""

from __future__ import annotations

import math
import re
import string
import time
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quizzer.bank import load_bank
from quizzer.bank.grading import (
    Grade,
    grade,
    grade_multiple_choice,
    loose_output,
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


# --- numeric expressions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("6/3", 2.0),
        ("2**10", 1024.0),
        ("1e-3", 0.001),
        ("3*4", 12.0),
        ("(1 + 2) * 3", 9.0),
        ("-(2 - 5)", 3.0),
        ("+7", 7.0),
        ("7 // 2", 3.0),
        ("10 % 3", 1.0),
        ("2**-1", 0.5),
        ("10 * 5 + 5", 55.0),
        ("007", 7.0),  # float() takes leading zeros; so does an expression
        ("007 * 2", 14.0),
    ],
)
def test_numeric_accepts_arithmetic_expressions(text, value):
    assert parse_number(text) == pytest.approx(value)
    assert grade(numeric(answer=value), text).correct


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("６／３", 2.0),  # full-width digits and slash from a Chinese IME
        ("１，０００", 1000.0),  # a full-width comma groups digits like ','
        ("\u22122", -2.0),  # the Unicode minus sign
        ("3×4", 12.0),
        ("8÷2", 4.0),
        ("2^10", 1024.0),  # nobody means XOR in a numeric answer
        ("（1＋2）＊3", 9.0),
    ],
)
def test_numeric_folds_full_width_and_typographic_signs(text, value):
    assert parse_number(text) == pytest.approx(value)


def test_numeric_expressions_keep_the_unit():
    question = numeric(answer=1000, unit="MB")
    assert grade(question, "2**10 - 24 MB").correct
    assert grade(question, "1000/1 mb").correct
    assert grade(question, "１０００ＭＢ").correct


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "pi",
        "2*x",
        "abs(-3)",
        '__import__("os").system("true")',
        "(1).real",
        "[1][0]",
        "1 if 1 else 2",
        "1 < 2",
        "lambda: 1",
        "True",
        "1j",
        "'3'",
        "1; 2",
        "2 3",
        "1/0",
        "5 % 0",
        "(-8)**(1/3)",  # complex
        "1e308 * 10",  # overflows to inf
        "10**400",
        "2**1025",  # the exponent cap
        "9**9**9",  # would not finish as integers
        "(" * 60 + "1" + ")" * 60,  # longer than any honest answer
    ],
)
def test_numeric_refuses_anything_but_arithmetic(text):
    assert parse_number(text) is None
    assert grade(numeric(answer=1.0, tolerance=1e300), text).feedback == "Give a number."


def test_a_huge_power_is_refused_at_once():
    started = time.perf_counter()
    assert parse_number("9**9**9**9") is None
    assert parse_number("(10**300)**1000") is None
    assert time.perf_counter() - started < 0.5


def test_a_wrong_expression_reports_its_value():
    result = grade(numeric(answer=55), "6/3")
    assert not result.correct
    assert result.feedback == "2 is off by 53."


@given(st.integers(-(10**6), 10**6), st.integers(1, 1000))
def test_a_fraction_is_its_quotient(top, bottom):
    assert parse_number(f"{top}/{bottom}") == pytest.approx(top / bottom)


# --- code_output: spacing Python decides -------------------------------------------


@pytest.mark.parametrize(
    ("answer", "typed"),
    [
        ("torch.Size([2, 5, 3])", "torch.Size([2,5,3])"),
        ("torch.Size([2, 5, 3])", "torch.Size( [ 2 , 5 , 3 ] )"),
        ("(2, 3)", "(2,3)"),
        ("{'a': 1, 'b': 2}", "{'a':1,'b':2}"),
        ("tensor([1., 2., 3.])", "tensor([1.,  2.,   3.])"),
        # torch aligns columns and indents the next row; neither is the value.
        ("tensor([[ 1., -2.],\n        [ 3.,  4.]])", "tensor([[1., -2.],\n[3., 4.]])"),
        ("tensor([[ 1., -2.],\n        [ 3.,  4.]])", "tensor([[1.,-2.],\n  [3.,4.]])"),
        ("[2 5 3]", "[2  5 3]"),  # numpy separates with spaces: a run is one
        ("a b", "a  b"),
        ("a b", "a\tb"),
        ("torch.Size([2, 5, 3])", "torch.Size（［2，5，3］）"),  # full-width, from an IME
        ("Sequential(\n  (0): ReLU()\n)", "Sequential(\n(0): ReLU()\n)"),
    ],
)
def test_code_output_accepts_spacing_python_decides_and_says_so(answer, typed):
    result = grade(code_output(answer=answer), typed)
    assert result.correct and result.score == 1.0
    assert result.normalised
    assert result.feedback == "Accepted: matched after normalising spaces."
    assert result.expected == answer  # the exact form, to show beside the note
    assert grade(code_output(answer=answer), typed, lang="zh").feedback == (
        "已接受：统一空格后与输出一致。"
    )


def test_an_exact_answer_is_not_marked_as_normalised():
    result = grade(code_output(answer="torch.Size([2, 5, 3])"), "torch.Size([2, 5, 3])  \n")
    assert result.correct and not result.normalised
    assert result.feedback == "Right."


@pytest.mark.parametrize(
    ("answer", "typed"),
    [
        ("[2, 5, 3]", "[2, 53]"),  # a separator is never dropped
        ("torch.Size([2, 5, 3])", "torch.Size([25, 3])"),
        ("[2 5 3]", "[25 3]"),  # numpy's separator is a space: it counts
        ("tensor([1, 2])", "tensor([12])"),
        ("a b", "ab"),
        ("a, b", "a,b"),  # outside brackets a comma's space is printed text
        ("  x", "x"),  # so is indentation
        ("x", "  x"),
        ("['a  b']", "['a b']"),  # inside quotes every space counts
        ("['a b']", "['ab']"),
        ("{'a': 1}", "{'a': 1, }"),
        ("a\n\nb", "a\nb"),  # inner blank lines count
        ("1\n2", "1 2"),
    ],
)
def test_code_output_spacing_that_carries_meaning_still_counts(answer, typed):
    result = grade(code_output(answer=answer), typed)
    assert not result.correct and not result.normalised


def test_code_output_feedback_skips_lines_that_differ_only_in_spacing():
    question = code_output(answer="torch.Size([2, 5, 3])\n[3, 2, 1]\n")
    result = grade(question, "torch.Size([2,5,3])\n[1, 2, 3]")
    assert result.feedback == "Line 2 differs: expected '[3, 2, 1]', got '[1, 2, 3]'."


def test_bank_verify_keeps_the_strict_rule():
    # `bank verify` compares what a snippet prints with the bank's answer through
    # same_output: the bank's key must be exact, spacing included.
    assert not same_output("torch.Size([2,5,3])", "torch.Size([2, 5, 3])")
    assert loose_output("torch.Size([2,5,3])") == loose_output("torch.Size([2, 5, 3])")


@given(st.text(alphabet="ab1 ,:[](){}'\"\t\n", max_size=30))
def test_loose_output_is_idempotent_and_keeps_every_other_character(text):
    loose = loose_output(text)
    assert loose_output("\n".join(loose)) == loose
    # Only whitespace is ever normalised: what remains is the same characters.
    assert "".join("".join(loose).split()) == "".join(text.split())


@given(
    st.text(alphabet="ab1 ,:[]()'\n", max_size=20), st.text(alphabet="ab1 ,:[]()'\n", max_size=20)
)
def test_a_strict_match_is_a_loose_match(first, second):
    if same_output(first, second):
        assert loose_output(first) == loose_output(second)
    if loose_output(first) == loose_output(second):
        assert "".join(first.split()) == "".join(second.split())


# --- messages in Chinese --------------------------------------------------------------


def test_every_grading_message_is_given_in_chinese():
    zh = "zh"
    assert grade(single(), "a", lang=zh).feedback == "正确。"
    assert grade(single(), "", lang=zh).feedback == "请只选一个选项。"
    assert grade(single(), "b", lang=zh).feedback == "「b」不是正确选项。"
    assert grade(multiple(), ["a", "c"], lang=zh).feedback == (
        "选对 1 个，选错 1 个，漏选 1 个；部分得分 0.00。"
    )
    assert grade(true_false(True), "maybe", lang=zh).feedback == "请回答正确或错误。"
    wrong = grade(true_false(True), "false", lang=zh)
    assert (wrong.feedback, wrong.expected) == ("这个说法是正确的。", "正确")
    assert grade(numeric(answer=55), "abc", lang=zh).feedback == "请给出一个数。"
    assert grade(numeric(answer=55), "56", lang=zh).feedback == "56 与答案相差 1。"
    assert grade(short(), "", lang=zh).feedback == "请输入答案。"
    assert grade(short(), "backward", lang=zh).feedback == "这不是可接受的答案之一。"
    assert grade(code_output(), 3, lang=zh).feedback == "请输入这段代码打印的内容。"
    assert grade(code_output(), "6\n[1, 2, 3]", lang=zh).feedback == (
        "第 2 行不同：应为 '[3, 2, 1]'，你写的是 '[1, 2, 3]'。"
    )
    assert grade(code_output(), "", lang=zh).feedback == "应有 2 行，你写了 0 行。"
    assert grade(open_question(), "", lang=zh).feedback == (
        "将你的答案与参考答案对照，勾选你答到的要点。"
    )
    assert self_assess(open_question(), [0, 1, 2], lang=zh).feedback == "答到了全部要点。"
    assert self_assess(open_question(), [1], lang=zh).feedback == "遗漏：debugging；export"


@given(
    st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=12)),
    st.sampled_from(["single", "multiple", "true_false", "numeric", "short", "code_output"]),
)
def test_no_chinese_message_falls_back_to_english(response, kind):
    question = {
        "single": single,
        "multiple": multiple,
        "true_false": true_false,
        "numeric": numeric,
        "short": short,
        "code_output": code_output,
    }[kind]()
    feedback = grade(question, response, lang="zh").feedback
    assert re.search(r"[\u4e00-\u9fff]", feedback), feedback
    assert not re.search(r"\b(is|the|Give|Type|Line|Expected|right|pick)\b", feedback)


def test_the_english_messages_are_unchanged():
    assert grade(code_output(), "").feedback == "Expected 2 line(s), got 0."
    assert grade(true_false(True), "no").feedback == "The statement is true."
    assert grade(open_question(), "").feedback.startswith("Compare your answer")
    assert self_assess(open_question(), [1]).feedback == "Missed: debugging; export"


def test_options_are_named_by_their_number_on_screen_when_numbered():
    from quizzer.bank.grading import grade
    from quizzer.bank.models import MultipleChoice, SingleChoice

    single = SingleChoice.model_validate(
        {"id": "pick-s", "type": "single_choice", "topic": "t", "difficulty": "easy",
         "prompt": "p", "explanation": "e", "answer": "c",
         "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]}
    )  # fmt: skip
    shown = grade(single, "b", numbered=True)
    assert shown.expected == "3: C" and "'2'" in shown.feedback
    assert grade(single, "b").expected == "c: C"  # papers keep the ids
    many = MultipleChoice.model_validate(
        {"id": "pick-m", "type": "multiple_choice", "topic": "t", "difficulty": "easy",
         "prompt": "p", "explanation": "e", "answer": ["a", "c"],
         "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]}
    )  # fmt: skip
    assert grade(many, ["a"], numbered=True).expected == "1, 3"
    assert grade(many, ["a"]).expected == "a, c"

"""Sessions as data: ordering, skipping, finishing, and saving for "continue"."""

from __future__ import annotations

import pytest
from test_tui_support import load_test_bank

from quizzer.bank.grading import Grade
from quizzer.tui.session import Filters, QuestionState, Session, practice_session


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return load_test_bank(tmp_path_factory.mktemp("bank"))


def done(state: QuestionState) -> None:
    state.grade = Grade(True, 1.0, "x", "Right.")


def test_filters_pick_concept_questions_only(bank):
    assert all(q.type != "coding" for q in Filters().concept_questions(bank))
    assert {q.id for q in Filters(topic="modules", difficulty="easy").concept_questions(bank)} == {
        "name-method", "what-prints"}  # fmt: skip
    assert Filters(tag="linear").active() == {"tag": "linear"}
    assert Filters.from_dict({"topic": "basics", "junk": 1, "tag": 3}) == Filters(topic="basics")
    assert Filters.from_dict("nonsense") == Filters()


def test_skip_moves_an_unanswered_question_to_the_end():
    s = Session("practice", "t", ["a", "b", "c"])
    assert s.skip() and s.ids == ["b", "c", "a"] and s.current_id == "b"
    done(s.states["b"])
    done(s.states["c"])
    s.index = 2
    assert not s.skip()  # the only unanswered one left stays
    done(s.states["a"])
    assert s.finished and s.score() == (3.0, 3)


def test_next_unanswered_wraps_around():
    s = Session("practice", "t", ["a", "b", "c"])
    done(s.states["a"])
    s.index = 2
    done(s.states["c"])
    assert s.next_unanswered() == 1


def test_resume_round_trip_drops_vanished_questions(bank):
    s = practice_session(bank, Filters(topic="basics"), "basics")
    done(s.current)
    s.move(1)
    saved = s.to_resume()
    saved["ids"].append("no-longer-in-bank")
    again = Session.from_resume(saved, bank)
    assert again is not None
    assert again.ids == s.ids and again.index == 1
    assert again.states[s.ids[0]].earlier and again.states[s.ids[0]].answered


def test_nothing_to_resume(bank):
    assert Session.from_resume(None, bank) is None
    assert Session.from_resume({"ids": ["ghost"]}, bank) is None
    finished = {"mode": "practice", "ids": ["pick-one"], "answered": ["pick-one"]}
    assert Session.from_resume(finished, bank) is None


def test_missed_questions_come_back_once_more_before_the_session_ends():
    session = Session("review", "t", ["a", "b", "c"])
    for qid, rating, score in (("a", 1, 0.0), ("b", 3, 1.0), ("c", 1, 0.0)):
        session.index = session.ids.index(qid)
        session.current.grade = Grade(correct=score == 1.0, score=score, feedback="", expected="")
        session.rated(qid, rating, score)
    assert session.finished
    assert session.bring_back() == 2
    assert session.ids == ["b", "a", "c"] and session.current_id == "a"
    assert not session.finished and session.states["a"].repeats == 1
    assert session.missed == ["a", "c"]
    # Right on the second go: the session's score still counts the first answer.
    for qid in ("a", "c"):
        session.states[qid].grade = Grade(correct=True, score=1.0, feedback="", expected="")
        session.rated(qid, 3, 1.0)
    assert session.score() == (1.0, 3)
    assert session.bring_back() == 0 and session.missed == ["a", "c"]


def test_rating_a_first_answer_again_or_taking_it_back_unmisses_it():
    session = Session("learn", "t", ["a", "b"])
    session.rated("a", 1, 0.0)
    session.rated("a", 3, 0.0)  # the learner's own rating: it was a typo
    assert session.again == [] and session.missed == []
    session.rated("b", 1, 0.0)
    session.taken_back("b")
    assert session.again == [] and session.missed == [] and "b" not in session.first_scores

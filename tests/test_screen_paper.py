"""Each candidate's paper is drawn deterministically from the candidate id and the
screen seed (SHA-256, never Python's salted hash), candidates get different papers,
and the paper a candidate sees holds no answer key, explanation, rubric, reference
solution, seed or revealing bank id."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzer.bank.models import Open, text_in
from quizzer.errors import UsageError
from quizzer.screen import sampling
from quizzer.screen.answers import answers_text, read_answers
from quizzer.screen.load import load_screen
from quizzer.screen.paper import build_paper, exam_question_ids, question_of
from tests.screen_fixtures.support import PUBLIC, REPO, SCREEN

LOADED = load_screen(SCREEN)


def drawn_ids(candidate: str) -> list[str]:
    paper = build_paper(LOADED, candidate)
    return [i.question_id for i in paper.questions() if i.source == "draw"]


def test_the_same_candidate_always_gets_the_same_paper():
    assert build_paper(LOADED, "alice") == build_paper(load_screen(SCREEN), "alice")


def test_candidates_get_different_draws():
    draws = {tuple(drawn_ids(f"candidate-{n}")) for n in range(20)}
    # 8 questions, 2 drawn: 28 possible pairs; 20 candidates all alike would be a bug.
    assert len(draws) >= 5


def test_a_draw_is_the_lowest_sha256_ranks_of_its_pool():
    """Recompute the draw with hashlib alone: the rule is documented, not incidental."""
    pool = sorted(q.id for q in LOADED.bank.questions if q.topic == "drawpool")

    def key(qid: str) -> bytes:
        h = hashlib.sha256()
        for part in ("draw", 7, "bob", "concepts", 7, qid):
            data = str(part).encode()
            h.update(len(data).to_bytes(4, "big") + data)
        return h.digest()

    # The draw is the 8th entry (index 7) of the concepts section; seed 7.
    assert drawn_ids("bob") == sorted(pool, key=key)[:2]


def test_the_paper_does_not_depend_on_python_hash_randomisation():
    code = (
        "import json\n"
        "from quizzer.screen.load import load_screen\n"
        "from quizzer.screen.paper import build_paper\n"
        f"paper = build_paper(load_screen({str(SCREEN)!r}), 'carol')\n"
        "print(json.dumps([i.question_id for i in paper.items()]))\n"
    )
    seen = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        seen.add(done.stdout.strip())
    assert len(seen) == 1
    assert json.loads(seen.pop()) == [i.question_id for i in build_paper(LOADED, "carol").items()]


def test_draws_follow_their_rules_and_never_repeat_a_question():
    for n in range(10):
        paper = build_paper(LOADED, f"c{n}")
        ids = [i.question_id for i in paper.items()]
        assert len(ids) == len(set(ids))
        for item in paper.questions():
            if item.source == "draw":
                assert LOADED.bank.get(item.question_id).topic == "drawpool"


def test_labels_are_opaque_and_tasks_keep_their_ids():
    paper = build_paper(LOADED, "alice")
    assert paper.labels() == tuple(f"q{n}" for n in range(1, 10))
    assert [t.label for t in paper.tasks()] == ["fix-linear", "fix-mlp"]
    assert paper.max_points == 31


def test_a_shuffled_section_orders_questions_per_candidate(tmp_path):
    text = SCREEN.read_text().replace("    points: 1\n", "    points: 1\n    shuffle: true\n", 1)
    text = text.replace(
        "banks: [public, private]", f"banks: [{PUBLIC}, {PUBLIC.parent / 'private'}]"
    )
    path = tmp_path / "screen.yaml"
    path.write_text(text)
    loaded = load_screen(path)
    orders = {
        tuple(i.question_id for i in build_paper(loaded, f"c{n}").questions()) for n in range(8)
    }
    assert len(orders) > 1
    # The labels still run q1, q2, ... in the order shown.
    assert build_paper(loaded, "c1").labels() == tuple(f"q{n}" for n in range(1, 10))


@pytest.mark.parametrize("bad", ["", "../etc", "a b", "-x", "x" * 101, "a/b", "é"])
def test_a_candidate_id_must_be_usable_as_a_folder_name(bad):
    with pytest.raises(UsageError, match="candidate id"):
        sampling.check_candidate(bad)


def test_judge_seeds_differ_per_candidate_and_task_and_stay_fixed():
    a = sampling.judge_seed(7, "alice", "fix-linear")
    assert a == sampling.judge_seed(7, "alice", "fix-linear")
    assert a != sampling.judge_seed(7, "bob", "fix-linear")
    assert a != sampling.judge_seed(7, "alice", "fix-mlp")
    assert a != sampling.judge_seed(8, "alice", "fix-linear")
    assert 0 <= a < 2**31


def test_the_ui_gets_the_concept_questions_in_paper_order():
    paper = build_paper(LOADED, "alice")
    assert exam_question_ids(LOADED, "alice") == tuple(i.question_id for i in paper.questions())


# --- the paper the candidate sees -------------------------------------------------


def test_paper_writes_the_paper_the_template_and_the_starters(run_cli, tmp_path):
    out = tmp_path / "paper"
    result = run_cli("screen", "paper", SCREEN, "--candidate", "alice", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "answers.yaml",
        "paper.md",
        "solutions/fix-linear.py",
        "solutions/fix-mlp.py",
    ]
    starter = PUBLIC / "tasks" / "fix-linear" / "starter.py"
    assert (out / "solutions" / "fix-linear.py").read_text() == starter.read_text()
    # the limits stated are the ones the judge applies: the screen's judge.limits
    assert "- Limits: 60 s wall time" in (out / "paper.md").read_text()


def test_nothing_the_candidate_sees_gives_an_answer_away(run_cli, tmp_path):
    out = tmp_path / "paper"
    assert run_cli("screen", "paper", SCREEN, "-c", "alice", "-o", out).exit_code == 0
    seen = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    # Every secret of the fixture banks carries this marker (explanations, the model
    # answer, rubrics, reference solutions).
    assert "SECRET" not in seen
    paper = build_paper(LOADED, "alice")
    for item in paper.questions():
        question = question_of(LOADED, item)
        assert question.id not in seen
        for hint in question.hints:
            assert text_in(hint) not in seen
        for ref in question.references:
            assert ref.url not in seen
        if isinstance(question, Open):
            assert all(text_in(r) not in seen for r in question.rubric)
    assert "seed" not in (out / "paper.md").read_text().lower()


def test_paper_refuses_to_overwrite_answers_without_force(run_cli, tmp_path):
    out = tmp_path / "paper"
    assert run_cli("screen", "paper", SCREEN, "-c", "alice", "-o", out).exit_code == 0
    (out / "answers.yaml").write_text("candidate: alice\nanswers:\n  q1: a\n")
    again = run_cli("screen", "paper", SCREEN, "-c", "alice", "-o", out)
    assert again.exit_code == 2
    assert "already exist" in again.stderr and "--force" in again.stderr
    assert "q1: a" in (out / "answers.yaml").read_text()
    forced = run_cli("screen", "paper", SCREEN, "-c", "alice", "-o", out, "--force")
    assert forced.exit_code == 0
    assert "q1: a" not in (out / "answers.yaml").read_text()


def test_paper_needs_a_candidate(run_cli):
    result = run_cli("screen", "paper", SCREEN)
    assert result.exit_code == 2
    assert "--candidate ID is required" in result.stderr


def test_the_template_reads_back_as_all_unanswered(tmp_path):
    paper = build_paper(LOADED, "alice")
    questions = {i.label: question_of(LOADED, i) for i in paper.questions()}
    path = tmp_path / "answers.yaml"
    path.write_text(answers_text(paper, questions, {}))
    answers = read_answers(path, paper)
    assert answers.candidate == "alice"
    assert set(answers.responses) == set(paper.labels())
    assert all(v is None for v in answers.responses.values())


answer_values = st.one_of(
    st.text(min_size=1, max_size=60),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.lists(st.text(alphabet="abcdef_0123", min_size=1, max_size=3), max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(answer_values, min_size=9, max_size=9))
def test_written_answers_read_back_unchanged(values):
    """What the exam mode writes (any text, numbers, lists) is what grading reads."""
    import tempfile

    paper = build_paper(LOADED, "alice")
    questions = {i.label: question_of(LOADED, i) for i in paper.questions()}
    given_answers = dict(zip(paper.labels(), values, strict=True))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.yaml"
        path.write_text(answers_text(paper, questions, given_answers), encoding="utf-8")
        read = read_answers(path, paper).responses
    assert read == given_answers

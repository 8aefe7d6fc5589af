"""Grading answers against a screen, through the real CLI: points per question with
partial credit, a missing answer is zero with a note, a wrong type is a note, a
malformed answers file is exit 2 naming its line, open questions wait for review and
decide nothing until then, and the candidate's view holds no answer key.

These screens have no coding task, so nothing here starts the judge (see
test_screen_e2e.py for that)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from quizzer.bank.models import Question
from quizzer.screen.answers import check_response
from quizzer.screen.grader import check_solution
from quizzer.screen.load import load_screen
from quizzer.screen.paper import Paper, build_paper
from quizzer.screen.results import SCHEMA_PATH, schema_text
from tests.screen_fixtures.support import (
    CONCEPTS_ONLY,
    PUBLIC,
    REPO,
    right_answer,
    write_screen,
    wrong_answer,
)


@pytest.fixture
def screen(tmp_path: Path) -> Path:
    return write_screen(tmp_path, CONCEPTS_ONLY)


def paper_of(screen: Path, candidate: str) -> tuple[Paper, dict[str, str], dict[str, Question]]:
    """The paper, bank id -> label, and label -> question."""
    loaded = load_screen(screen)
    paper = build_paper(loaded, candidate)
    labels = {i.question_id: i.label for i in paper.questions()}
    questions = {i.label: loaded.bank.get(i.question_id) for i in paper.questions()}
    return paper, labels, questions


def yaml_value(value) -> str:
    return json.dumps(value)


def write_answers(folder: Path, candidate: str, answers: dict[str, object]) -> Path:
    """answers.yaml as a candidate writes it by hand (label: value lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"candidate: {candidate}", "answers:"]
    for label, value in answers.items():
        lines.append(f"  {label}:" + ("" if value is None else f" {value}"))
    (folder / "answers.yaml").write_text("\n".join(lines) + "\n")
    return folder


def alice_answers(screen: Path) -> tuple[dict[str, object], dict[str, str]]:
    """Some right, some wrong, one partial, one of the wrong type, one missing, and an
    open answer; returns (label -> YAML text, bank id / draw -> label)."""
    paper, labels, questions = paper_of(screen, "alice")
    drawn = [i.label for i in paper.questions() if i.source == "draw"]
    answers = {
        labels["pub-single"]: "a",  # right: 1
        labels["pub-multi"]: "[a]",  # one of two right picks: 0.5 x 2 = 1
        labels["pub-tf"]: "true",  # wrong: 0
        labels["pub-numeric"]: '"55"',  # right, given as text: 3
        labels["pub-short"]: "[zero_grad]",  # text as written, not a list: wrong, 0
        labels["pub-code"]: None,  # missing: 0, with a note
        labels["private-open"]: "Fix the seed, then check the data for NaN.",  # pending: 4
        drawn[0]: yaml_value(right_answer(questions[drawn[0]])),  # right: 1
        drawn[1]: yaml_value(wrong_answer(questions[drawn[1]])),  # wrong: 0
    }
    return answers, {**labels, "draw-right": drawn[0], "draw-wrong": drawn[1]}


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def items_by_label(results: dict) -> dict[str, dict]:
    return {i["label"]: i for s in results["sections"] for i in s["items"]}


def test_every_number_of_a_graded_paper(run_cli, screen, tmp_path):
    answers, at = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    out = tmp_path / "report"
    result = run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    # 6 points + 4 pending of 15; 7.5 needed: the open answer decides, so exit 1.
    assert result.exit_code == 1, result.stderr
    doc = read_json(out / "results.json")
    items = items_by_label(doc)
    expected = {
        "pub-single": ("right", 1.0, 1.0),
        "pub-multi": ("partial", 1.0, 2.0),
        "pub-tf": ("wrong", 0.0, 1.0),
        "pub-numeric": ("right", 3.0, 3.0),
        "pub-short": ("wrong", 0.0, 1.0),
        "pub-code": ("missing", 0.0, 1.0),
        "private-open": ("pending", None, 4.0),
        "draw-right": ("right", 1.0, 1.0),
        "draw-wrong": ("wrong", 0.0, 1.0),
    }
    for key, (status, points, max_points) in expected.items():
        item = items[at[key]]
        assert (item["status"], item["points"], item["max_points"]) == (
            status,
            points,
            max_points,
        ), key
    assert items[at["pub-short"]]["response"] == "[zero_grad]"
    assert items[at["pub-code"]]["note"] == "no answer: 0 points"
    assert "waits for a reviewer" in items[at["private-open"]]["note"]
    [section] = doc["sections"]
    assert (section["points"], section["pending_points"], section["max_points"]) == (6.0, 4.0, 15.0)
    assert section["percent"] == 40.0
    assert section["threshold"] == {"rule": "2 points", "required_points": 2.0}
    assert section["status"] == "pass"
    assert (doc["points"], doc["pending_points"], doc["max_points"], doc["percent"]) == (
        6.0,
        4.0,
        15.0,
        40.0,
    )
    assert doc["threshold"] == {"rule": "50%", "required_points": 7.5}
    assert doc["status"] == "pending"
    assert doc["message"].startswith("undecided: 1 open question(s) worth 4 points await review")
    assert doc["view"] == "reviewer" and doc["schema_version"] == 1 and doc["candidate"] == "alice"

    suites = {s.get("name"): s for s in ET.parse(out / "junit.xml").getroot()}
    marks, concepts = suites["alice: pass marks"], suites["alice.concepts"]
    assert (marks.get("tests"), marks.get("failures"), marks.get("skipped")) == ("2", "0", "1")
    assert (concepts.get("tests"), concepts.get("failures"), concepts.get("skipped")) == (
        "9",
        "5",
        "1",
    )
    root = ET.parse(out / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "11",
        "5",
        "0",
        "2",
    )


def test_review_decides_a_pending_screen_and_is_recorded(run_cli, screen, tmp_path):
    answers, at = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    out = tmp_path / "report"
    assert run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out).exit_code == 1
    label = at["private-open"]

    listed = run_cli("screen", "review", out)
    assert listed.exit_code == 0
    assert f"{label} (4 points)" in listed.stdout and "rubric 0:" in listed.stdout

    # Two of four rubric points: 2 of 4 points; 8 >= 7.5 passes.
    passed = run_cli(
        "screen", "review", out, "--item", label, "--rubric", "0,1", "--reviewer", "rita"
    )
    assert passed.exit_code == 0, passed.stderr
    doc = read_json(out / "results.json")
    item = items_by_label(doc)[label]
    assert (item["status"], item["points"]) == ("reviewed", 2.0)
    assert item["review"]["reviewer"] == "rita" and item["review"]["rubric_ticked"] == [0, 1]
    assert (doc["status"], doc["points"], doc["pending_points"]) == ("pass", 8.0, 0.0)
    assert read_json(out / "candidate" / "results.json")["status"] == "pass"
    # The candidate sees the points, not the reviewer's record.
    seen = items_by_label(read_json(out / "candidate" / "results.json"))[label]
    assert (seen["points"], seen["review"], seen["rubric"]) == (2.0, None, None)

    # A second look: 1 point; 7 < 7.5 fails.
    failed = run_cli("screen", "review", out / "results.json", "--item", label, "--points", "1")
    assert failed.exit_code == 1
    assert read_json(out / "results.json")["status"] == "fail"
    root = ET.parse(out / "junit.xml").getroot()
    assert root.get("skipped") == "0"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--item", "q99", "--points", "1"], "no item 'q99'"),
        (["--item", "LABEL", "--points", "5"], "--points must be between 0 and 4"),
        (["--item", "LABEL", "--rubric", "0,7"], "rubric point(s) 7 do not exist"),
        (["--item", "LABEL"], "give the score as --points N or as --rubric"),
        (["--item", "SINGLE", "--points", "1"], "graded automatically; to override"),
    ],
)
def test_review_refuses_bad_scores(run_cli, screen, tmp_path, args, message):
    answers, at = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    out = tmp_path / "report"
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    args = [
        a.replace("LABEL", at["private-open"]).replace("SINGLE", at["pub-single"]) for a in args
    ]
    result = run_cli("screen", "review", out, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_reviews_survive_grading_again_and_lapse_when_the_answer_changes(run_cli, screen, tmp_path):
    answers, at = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    out = tmp_path / "report"
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    label = at["private-open"]
    assert run_cli("screen", "review", out, "--item", label, "--points", "3").exit_code == 0
    reviews_file = Path(read_json(out / "results.json")["reviews_file"])
    assert reviews_file.is_file() and reviews_file.name == "alice.reviews.json"

    again = run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    assert again.exit_code == 0, again.stderr
    item = items_by_label(read_json(out / "results.json"))[label]
    assert (item["status"], item["points"]) == ("reviewed", 3.0)

    answers[label] = "A different answer, handed in later."
    folder = write_answers(tmp_path / "alice", "alice", answers)
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    item = items_by_label(read_json(out / "results.json"))[label]
    assert (item["status"], item["points"]) == ("pending", None)
    assert "judged an earlier answer and was not applied" in item["note"]


def test_an_automatic_grade_is_overridden_only_with_a_reason_that_is_kept(
    run_cli, screen, tmp_path
):
    answers, at = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    out = tmp_path / "report"
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    label = at["pub-tf"]  # graded wrong: 0 of 1
    refused = run_cli("screen", "review", out, "--item", label, "--points", "1")
    assert refused.exit_code == 2 and "give the reason with --note" in refused.stderr
    reason = "the statement was ambiguous in this round"
    done = run_cli(
        "screen", "review", out, "--item", label, "--points", "1", "--note", reason,
        "--reviewer", "rita",
    )  # fmt: skip
    assert done.exit_code in (0, 1), done.stderr
    for report in (out, out.parent / "regraded"):
        if report != out:
            run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", report)
        item = items_by_label(read_json(report / "results.json"))[label]
        assert (item["status"], item["points"]) == ("wrong", 1.0)
        review = item["review"]
        assert (review["override"], review["auto_points"], review["note"]) == (True, 0.0, reason)
        assert "overridden by rita" in item["note"] and reason in item["note"]


def test_a_review_refreshes_the_batch_leaderboard(run_cli, screen, tmp_path):
    answers, at = alice_answers(screen)
    root = tmp_path / "candidates"
    write_answers(root / "alice", "alice", answers)
    write_answers(root / "bob", "bob", {})
    out = tmp_path / "reports"
    run_cli("screen", "grade", screen, "--candidates", root, "-o", out)
    before = (out / "leaderboard.csv").read_text()
    assert ",alice,pending," in before
    run_cli("screen", "review", out / "alice", "--item", at["private-open"], "--points", "4")
    after = (out / "leaderboard.csv").read_text()
    assert ",alice,pass,10," in after and ",bob,fail," in after


def test_the_candidate_view_cannot_be_reviewed(run_cli, screen, tmp_path):
    answers, at = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    out = tmp_path / "report"
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    result = run_cli(
        "screen", "review", out / "candidate", "--item", at["private-open"], "--points", "1"
    )
    assert result.exit_code == 2
    assert "candidate's view" in result.stderr


def test_what_the_candidate_sees_holds_no_answer_key(run_cli, screen, tmp_path, monkeypatch):
    answers, _ = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier steps\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "report"
    result = run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    reviewer = (out / "results.json").read_text() + (out / "summary.md").read_text()
    assert "SECRET" in reviewer  # the reviewer's report has the keys...
    candidate = "".join(
        (out / "candidate" / name).read_text()
        for name in ("results.json", "junit.xml", "summary.md")
    )
    for seen in (candidate, result.stdout, result.stderr, summary.read_text()):
        assert "SECRET" not in seen  # ...what the candidate can see has none
        assert "pub-single" not in seen and "private-open" not in seen
    doc = read_json(out / "candidate" / "results.json")
    assert doc["view"] == "candidate" and doc["screen"]["seed"] is None
    for item in items_by_label(doc).values():
        assert item["expected"] is None and item["rubric"] is None and item["model_answer"] is None
    # The step summary was appended to, not replaced.
    text = summary.read_text()
    assert text.startswith("earlier steps\n") and "Concepts only" in text
    assert (doc["points"], doc["status"]) == (6.0, "pending")


def test_candidate_view_only_writes_no_reviewer_report(run_cli, screen, tmp_path):
    answers, _ = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    out = tmp_path / "report"
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out, "--candidate-view")
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "results.json", "summary.md"]
    assert "SECRET" not in "".join(p.read_text() for p in out.iterdir())


def test_one_malformed_answer_costs_that_answer_only(run_cli, screen, tmp_path):
    """An unclosed list and an unquoted colon make the file invalid YAML; each is read
    as the text after its label, with a note, and every other answer is graded."""
    _, labels, _ = paper_of(screen, "alice")
    folder = write_answers(
        tmp_path / "alice",
        "alice",
        {
            labels["pub-single"]: "a",
            labels["pub-multi"]: "[a, b",
            labels["private-open"]: "Fix the seed: then check the data: NaN?",
            labels["pub-tf"]: "false",
        },
    )
    out = tmp_path / "out"
    result = run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", out)
    assert result.exit_code in (0, 1), result.stderr
    items = items_by_label(read_json(out / "results.json"))
    assert items[labels["pub-single"]]["status"] == "right"
    assert items[labels["pub-tf"]]["status"] in ("right", "wrong")
    multi = items[labels["pub-multi"]]
    assert multi["points"] == 0.0 and "line 4 is not valid YAML" in multi["note"]
    opened = items[labels["private-open"]]
    assert opened["status"] == "pending"
    assert opened["response"] == "Fix the seed: then check the data: NaN?"
    assert "line 5 is not valid YAML" in opened["note"]


def test_a_file_that_is_broken_outside_the_answers_is_exit_2_naming_its_line(
    run_cli, screen, tmp_path
):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "answers.yaml").write_text("candidate: [alice\nanswers:\n  q1: a\n")
    result = run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "answers.yaml:2:" in result.stderr and "YAML syntax error" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.parametrize(
    "text, line, message",
    [
        (
            "candidate: alice\nanswers:\n  q1: a\n  q99: b\n",
            4,
            "no question 'q99' on this paper (q1 to q9)",
        ),
        ("candidate: alice\nanswers:\n  q1: a\n  q11: b\n", 4, "did you mean 'q1'?"),
        (
            "candidate: bob\nanswers:\n  q1: a\n",
            1,
            "answers the paper of candidate 'bob', not 'alice'",
        ),
        ("candidate: alice\nanswer:\n  q1: a\n", 2, "did you mean 'answers'?"),
        ("candidate: alice\nanswers: [a, b]\n", 2, "'answers' must map labels"),
        ("candidate: alice\nanswers:\n  q1: a\n  q1: b\n", 4, "duplicate key 'q1'"),
        ("- a\n- b\n", 1, "expected 'candidate:' and 'answers:' mappings"),
    ],
)
def test_answers_file_structure_errors_name_the_line(
    run_cli, screen, tmp_path, text, line, message
):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "answers.yaml").write_text(text)
    result = run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"answers.yaml:{line}:" in result.stderr
    assert message in result.stderr


def test_a_missing_answers_file_or_folder_is_exit_2(run_cli, screen, tmp_path):
    (tmp_path / "empty").mkdir()
    no_file = run_cli(
        "screen", "grade", screen, "-c", "alice", "-s", tmp_path / "empty", "-o", tmp_path / "o"
    )
    assert no_file.exit_code == 2 and "no such file" in no_file.stderr
    no_dir = run_cli(
        "screen", "grade", screen, "-c", "alice", "-s", tmp_path / "nope", "-o", tmp_path / "o"
    )
    assert no_dir.exit_code == 2 and "no such submission folder" in no_dir.stderr


def test_grade_needs_a_candidate_and_a_folder_or_candidates(run_cli, screen, tmp_path):
    result = run_cli("screen", "grade", screen, "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert "--candidate ID and --submission DIR, or --candidates DIR" in result.stderr
    both = run_cli(
        "screen", "grade", screen, "-o", tmp_path / "o", "-c", "a", "--candidates", tmp_path
    )
    assert both.exit_code == 2


def test_an_all_right_paper_passes_with_exit_0(run_cli, screen, tmp_path):
    _, _, questions = paper_of(screen, "bob")
    answers = {
        label: yaml_value(right_answer(q)) for label, q in questions.items() if q.type != "open"
    }
    folder = write_answers(tmp_path / "bob", "bob", answers)
    result = run_cli("screen", "grade", screen, "-c", "bob", "-s", folder, "-o", tmp_path / "out")
    doc = read_json(tmp_path / "out" / "results.json")
    # 11 of 15 (the open question was left empty: 0, not pending); 11 >= 7.5.
    assert (doc["points"], doc["pending_points"], doc["status"]) == (11.0, 0.0, "pass")
    assert result.exit_code == 0


# --- answer types -----------------------------------------------------------------


@pytest.mark.parametrize(
    "qid, value, note",
    [
        ("pub-single", ["a"], "expected one option id, e.g. b, got a list"),
        ("pub-single", True, "got the boolean true"),
        ("pub-multi", {"a": 1}, "expected a list of option ids"),
        ("pub-multi", [["a"]], "expected a list of option ids"),
        ("pub-tf", "maybe", "expected true or false, got the text 'maybe'"),
        ("pub-tf", 3, "expected true or false"),
        ("pub-numeric", "fifty-five", "expected a number"),
        ("pub-numeric", [55], "expected a number, got a list"),
        ("pub-short", {"x": 1}, "expected a short text, got a mapping"),
        ("pub-code", ["6"], "got a list"),
    ],
)
def test_a_wrong_type_is_a_clear_note(qid, value, note):
    loaded = load_screen(write_screen_once())
    response, problem = check_response(loaded.bank.get(qid), value)
    assert response is None
    assert problem is not None and note in problem


@pytest.mark.parametrize(
    "qid, value, response",
    [
        ("pub-single", " A ", "a"),
        ("pub-multi", "a, b", "a, b"),
        ("pub-multi", ["A", "b"], ["a", "b"]),
        ("pub-tf", "no", "no"),
        ("pub-numeric", 55, 55),
        ("pub-short", 12, "12"),
        ("pub-code", 6, "6"),
    ],
)
def test_usable_answers_pass_through(qid, value, response):
    loaded = load_screen(write_screen_once())
    assert check_response(loaded.bank.get(qid), value) == (response, None)


_SCREEN_DIR: list[Path] = []


def write_screen_once() -> Path:
    if not _SCREEN_DIR:
        import tempfile

        _SCREEN_DIR.append(write_screen(Path(tempfile.mkdtemp()), CONCEPTS_ONLY))
    return _SCREEN_DIR[0]


def test_an_unknown_option_is_wrong_with_a_note(run_cli, screen, tmp_path):
    _, labels, _ = paper_of(screen, "alice")
    folder = write_answers(tmp_path / "alice", "alice", {labels["pub-single"]: "z"})
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", tmp_path / "out")
    item = items_by_label(read_json(tmp_path / "out" / "results.json"))[labels["pub-single"]]
    assert item["status"] == "wrong" and item["points"] == 0.0
    assert "'z' is not an option (a, b, c)" in item["note"]


def test_all_or_nothing_multiple_choice(run_cli, tmp_path):
    text = CONCEPTS_ONLY.replace(
        "threshold: {percent: 50}",
        "threshold: {percent: 50}\npartial_credit: {multiple_choice: none}",
    )
    screen = write_screen(tmp_path, text)
    _, labels, _ = paper_of(screen, "alice")
    folder = write_answers(tmp_path / "alice", "alice", {labels["pub-multi"]: "[a]"})
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", tmp_path / "out")
    item = items_by_label(read_json(tmp_path / "out" / "results.json"))[labels["pub-multi"]]
    assert (item["status"], item["points"]) == ("wrong", 0.0)


# --- many candidates --------------------------------------------------------------


def test_candidates_are_graded_into_a_leaderboard(run_cli, screen, tmp_path):
    root = tmp_path / "candidates"
    answers, _ = alice_answers(screen)
    write_answers(root / "alice", "alice", answers)
    _, _, bob_questions = paper_of(screen, "bob")
    write_answers(
        root / "bob", "bob", {k: yaml_value(right_answer(q)) for k, q in bob_questions.items()}
    )
    (root / "mallory").mkdir()
    (root / "mallory" / "answers.yaml").write_text("answers: [\n")
    (root / ".git").mkdir()  # hidden folders are not candidates
    out = tmp_path / "out"
    result = run_cli("screen", "grade", screen, "--candidates", root, "-o", out)
    # mallory's folder cannot be graded: exit 2, but the others are graded all the same.
    assert result.exit_code == 2
    assert "could not grade the folder(s) of: mallory" in result.stderr
    rows = list(csv.DictReader(io.StringIO((out / "leaderboard.csv").read_text())))
    assert [r["candidate"] for r in rows] == ["bob", "alice", "mallory"]
    bob, alice, mallory = rows
    # bob: all 11 auto-graded points, and an open answer pending (4).
    assert (bob["rank"], bob["status"], bob["points"], bob["pending_points"]) == (
        "1",
        "pass",
        "11",
        "4",
    )
    assert (alice["rank"], alice["status"], alice["points"], alice["percent"]) == (
        "2",
        "pending",
        "6",
        "40",
    )
    assert alice["concepts_points"] == "6" and alice["max_points"] == "15"
    assert mallory["status"] == "error" and "answers.yaml:2:" in mallory["message"]
    assert read_json(out / "bob" / "results.json")["points"] == 11.0
    assert read_json(out / "alice" / "candidate" / "results.json")["view"] == "candidate"
    assert not (out / "mallory").exists()


def test_candidates_need_folders(run_cli, screen, tmp_path):
    (tmp_path / "none").mkdir()
    result = run_cli(
        "screen", "grade", screen, "--candidates", tmp_path / "none", "-o", tmp_path / "o"
    )
    assert result.exit_code == 2 and "holds no candidate folders" in result.stderr


# --- solution files that must not be judged ---------------------------------------


def test_a_linked_solution_is_refused_so_the_reference_cannot_be_handed_in(tmp_path):
    folder = tmp_path / "eve"
    (folder / "solutions").mkdir(parents=True)
    reference = PUBLIC / "tasks" / "fix-linear" / "reference.py"
    (folder / "solutions" / "fix-linear.py").symlink_to(reference)
    path, status, note = check_solution(folder, "fix-linear")
    assert (path, status) == (None, "invalid")
    assert "symbolic link" in note
    linked_dir = tmp_path / "mallory"
    linked_dir.mkdir()
    (linked_dir / "solutions").symlink_to(reference.parent)
    assert check_solution(linked_dir, "fix-linear")[1] == "invalid"


def test_missing_and_oversized_solutions_are_zero_with_a_note(tmp_path):
    assert check_solution(tmp_path, "fix-linear")[1:] == (
        "missing",
        "no solution file (solutions/fix-linear.py): 0 points",
    )
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "fix-linear.py").write_text("#" * 300_000)
    assert check_solution(tmp_path, "fix-linear")[1] == "invalid"


@pytest.mark.parametrize("name", ["fix_linear.py", "Fix-Linear.py", "fixlinear.py"])
def test_a_misnamed_solution_is_missing_with_the_right_name_suggested(tmp_path, name):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / name).write_text("x = 1\n")
    path, status, note = check_solution(tmp_path, "fix-linear")
    assert (path, status) == (None, "missing")
    assert f"solutions/{name} is there: name it solutions/fix-linear.py" in note


def test_a_screen_with_unjudgeable_files_grades_without_the_judge(run_cli, tmp_path):
    """A linked file is 0 points with a note, and nothing is judged."""
    text = CONCEPTS_ONLY + "  - id: coding\n    title: Coding\n    tasks: [fix-linear]\n"
    screen = write_screen(tmp_path, text)
    folder = write_answers(tmp_path / "eve", "eve", {})
    (folder / "solutions").mkdir()
    (folder / "solutions" / "fix-linear.py").symlink_to(
        PUBLIC / "tasks" / "fix-linear" / "reference.py"
    )
    result = run_cli("screen", "grade", screen, "-c", "eve", "-s", folder, "-o", tmp_path / "out")
    assert result.exit_code == 1
    item = items_by_label(read_json(tmp_path / "out" / "results.json"))["fix-linear"]
    assert (item["status"], item["points"], item["max_points"]) == ("invalid", 0.0, 10.0)
    assert "symbolic link" in item["note"]


# --- the document and the boundaries ----------------------------------------------


def test_results_follow_the_shipped_schema(run_cli, screen, tmp_path):
    assert SCHEMA_PATH.read_text() == schema_text(), "run `python -m quizzer.screen.results`"
    answers, _ = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    run_cli("screen", "grade", screen, "-c", "alice", "-s", folder, "-o", tmp_path / "out")
    schema = json.loads(SCHEMA_PATH.read_text())
    for view in ("results.json", "candidate/results.json"):
        jsonschema.validate(read_json(tmp_path / "out" / view), schema)


def test_grading_concepts_imports_neither_torch_nor_textual(screen, tmp_path):
    answers, _ = alice_answers(screen)
    folder = write_answers(tmp_path / "alice", "alice", answers)
    code = (
        "import sys\n"
        "from quizzer.cli import main\n"
        "try:\n"
        f"    main(['screen', 'grade', {str(screen)!r}, '-c', 'alice', '-s', {str(folder)!r}, "
        f"'-o', {str(tmp_path / 'out')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('torch', 'textual') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    assert (tmp_path / "out" / "results.json").exists()


class _BrokenSandbox:
    """A sandbox that fails the way a bug would: not the candidate's doing."""

    name = "broken"

    def protections(self) -> tuple[str, ...]:
        return ()

    def run(self, request):
        raise RuntimeError("the sandbox fell over")

    def close(self) -> None:
        pass


def test_a_failing_judge_withholds_the_grade_instead_of_scoring_zero(tmp_path):
    from quizzer.errors import JudgeError
    from quizzer.screen.grader import grade_candidates, judge_choice

    text = CONCEPTS_ONLY + "  - id: coding\n    title: Coding\n    tasks: [fix-linear]\n"
    loaded = load_screen(write_screen(tmp_path, text))
    folder = write_answers(tmp_path / "eve", "eve", {})
    (folder / "solutions").mkdir()
    (folder / "solutions" / "fix-linear.py").write_text(
        (PUBLIC / "tasks" / "fix-linear" / "reference.py").read_text()
    )
    choice = judge_choice(loaded.screen.judge, sandbox="none")

    def factory(choice, device):
        return _BrokenSandbox()

    with pytest.raises(JudgeError, match="fault of the judge"):
        grade_candidates(loaded, [("eve", folder)], choice, sandbox_factory=factory)
    [graded] = grade_candidates(
        loaded, [("eve", folder)], choice, strict=False, sandbox_factory=factory
    )
    assert graded.results is None
    assert "the judge failed on solutions/fix-linear.py (RuntimeError: the sandbox fell over)" in (
        graded.error or ""
    )


# --- points of a judged task ------------------------------------------------------


def judged(statuses: dict[str, str]):
    """A judge result document with these check statuses (no judging needed)."""
    from quizzer.judge.result import (
        CheckResult,
        DeviceInfo,
        JudgeResult,
        SandboxInfo,
        Status,
        TaskInfo,
        Timings,
        Versions,
        overall,
    )

    checks = [
        CheckResult(name=n, status=Status(s), message=f"{n}: {s}") for n, s in statuses.items()
    ]
    status, message = overall(checks)
    return JudgeResult(
        status=status,
        message=message,
        submission="solutions/fix-linear.py",
        sha256="0" * 64,
        task=TaskInfo(id="fix-linear", class_name="FixLinear"),
        device=DeviceInfo(requested="cpu", used="cpu"),
        sandbox=SandboxInfo(name="process"),
        seed=1,
        versions=Versions(quizzer="0", python="3", torch="2"),
        timings=Timings(total_s=0.1),
        checks=checks,
    )


def task_item(**fields):
    from quizzer.screen.models import TaskItem
    from quizzer.screen.paper import PaperItem

    task = TaskItem(id="fix-linear", **fields)
    return PaperItem("fix-linear", "task", "fix-linear", "coding", task.points, "pick", task)


FIX_LINEAR = load_screen(write_screen_once()).bank  # holds the public tasks too
LOAD_SHAPES_FAIL = {"load": "pass", "shapes": "pass", "gradients": "fail", "learning": "fail"}


@pytest.mark.parametrize(
    "fields, statuses, points, check_points",
    [
        # Equal weights over the checks the task runs, load aside (it earns nothing:
        # an untouched starter loads): 10 / 3 each.
        ({"points": 10}, LOAD_SHAPES_FAIL, 3.3333, [0.0, 3.3333, 0.0, 0.0]),
        # An untouched starter: it loads, and nothing else passes.
        (
            {"points": 10},
            {"load": "pass", "shapes": "fail", "gradients": "skipped", "learning": "skipped"},
            0.0,
            [0.0, 0.0, 0.0, 0.0],
        ),
        # A forbidden API costs the whole task, whatever else passed.
        (
            {"points": 10},
            {
                "load": "pass",
                "forbidden_api": "fail",
                **dict.fromkeys(("shapes", "gradients", "learning"), "pass"),
            },
            0.0,
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ),
        # Weights 1, 1, 2, 2 of 6 points.
        (
            {"points": 6, "checks": {"load": 1, "shapes": 1, "gradients": 2, "learning": 2}},
            LOAD_SHAPES_FAIL,
            2.0,
            [1.0, 1.0, 0.0, 0.0],
        ),
        # Checks left out of the weights are worth nothing, and do not block.
        (
            {"points": 9, "checks": {"load": 1, "shapes": 2}},
            LOAD_SHAPES_FAIL,
            9.0,
            [3.0, 6.0, 0.0, 0.0],
        ),
        ({"points": 10, "scoring": "all_or_nothing"}, LOAD_SHAPES_FAIL, 0.0, [0.0, 0.0, 0.0, 0.0]),
        (
            {"points": 10, "scoring": "all_or_nothing"},
            dict.fromkeys(("load", "shapes", "gradients", "learning"), "pass"),
            10.0,
            [0.0, 3.3333, 3.3333, 3.3333],
        ),
        # Thirds add up to the task's points, not to 9.9999.
        (
            {"points": 10, "checks": {"load": 1, "shapes": 1, "gradients": 1}},
            {"load": "pass", "shapes": "pass", "gradients": "pass", "learning": "fail"},
            10.0,
            [3.3333, 3.3333, 3.3333, 0.0],
        ),
    ],
)
def test_task_points_follow_the_weights(fields, statuses, points, check_points):
    from quizzer.screen.models import PartialCredit
    from quizzer.screen.scoring import score_task

    task = FIX_LINEAR.get("fix-linear")
    item = score_task(
        task_item(**fields), task, judged(statuses), PartialCredit(), "solutions/x.py"
    )
    assert item.points == points
    assert [c.points for c in item.checks] == check_points


def test_a_limit_hit_after_the_checks_costs_the_task():
    from quizzer.screen.models import PartialCredit
    from quizzer.screen.scoring import score_task

    statuses = {
        **dict.fromkeys(("load", "shapes", "gradients", "learning"), "pass"),
        "limits": "error",
    }
    task = FIX_LINEAR.get("fix-linear")
    item = score_task(
        task_item(points=10), task, judged(statuses), PartialCredit(), "solutions/x.py"
    )
    assert (item.status, item.points) == ("error", 0.0)
    assert "the limits check did not pass, so the task scores 0" in item.note

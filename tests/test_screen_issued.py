"""Issued papers are frozen: grading uses what `screen paper` issued, whatever happens
to the bank afterwards, and refuses (exit 2, with what changed) when an issued
question is gone or changed, unless `--reissue` accepts the current version, which is
recorded. Candidate ids ignore case everywhere. One bad folder in a batch costs that
candidate only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from quizzer.screen.issued import read_record, record_path
from quizzer.screen.load import load_screen
from tests.screen_fixtures.support import PUBLIC, right_answer

SCREEN = """\
title: Frozen papers
seed: 3
banks: [bank]
threshold: {percent: 50}
sections:
  - id: pool
    title: Pool
    questions:
      - {draw: 4, topic: drawpool}
"""

EXTRA = """\
  - id: pool-new-{n}
    type: true_false
    topic: drawpool
    difficulty: easy
    prompt: Added after the papers were issued ({n}).
    answer: true
    explanation: New.
"""


@pytest.fixture
def screen(tmp_path: Path) -> Path:
    bank = tmp_path / "bank"
    bank.mkdir()
    shutil.copyfile(PUBLIC / "pool.yaml", bank / "pool.yaml")
    path = tmp_path / "screen.yaml"
    path.write_text(SCREEN, encoding="utf-8")
    return path


def issue(run_cli, screen: Path, candidate: str, out: Path) -> None:
    result = run_cli(
        "screen", "paper", screen, "-c", candidate, "-o", out, "--issued", issued(screen)
    )
    assert result.exit_code == 0, result.stderr


def issued(screen: Path) -> Path:
    return screen.parent / "issued"


def answer_all_right(screen: Path, candidate: str, folder: Path) -> None:
    """Fill the candidate's answers.yaml with the right answers of the issued paper."""
    loaded = load_screen(screen)
    record = read_record(record_path(issued(screen), candidate.lower()))
    lines = [f"candidate: {candidate}", "answers:"]
    for section in record.sections:
        for item in section.items:
            answer = right_answer(loaded.bank.get(item.question_id))
            lines.append(f"  {item.label}: {json.dumps(answer)}")
    (folder / "answers.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def grade(run_cli, screen: Path, candidate: str, folder: Path, out: Path, *extra: str):
    return run_cli(
        "screen", "grade", screen, "-c", candidate, "-s", folder, "-o", out,
        "--issued", issued(screen), *extra,
    )  # fmt: skip


def add_questions(screen: Path, count: int) -> None:
    pool = screen.parent / "bank" / "pool.yaml"
    pool.write_text(
        pool.read_text(encoding="utf-8") + "".join(EXTRA.format(n=n) for n in range(count)),
        encoding="utf-8",
    )


def test_a_bank_that_grows_changes_no_issued_paper(run_cli, screen, tmp_path):
    candidates = [f"cand-{n}" for n in range(12)]
    for c in candidates:
        issue(run_cli, screen, c, tmp_path / c)
        answer_all_right(screen, c, tmp_path / c)
    before = {c: read_record(record_path(issued(screen), c)).sections for c in candidates}
    add_questions(screen, 20)
    for c in candidates:
        out = tmp_path / "reports" / c
        result = grade(run_cli, screen, c, tmp_path / c, out)
        assert result.exit_code == 0, result.stderr
        doc = json.loads((out / "results.json").read_text())
        assert (doc["points"], doc["max_points"]) == (4.0, 4.0)
        asked = [i["id"] for s in doc["sections"] for i in s["items"]]
        assert asked == [i.question_id for s in before[c] for i in s.items]
        assert doc["paper_notes"] == []
    # the same draw made today would differ for some of them: the freeze is what held
    from quizzer.screen.paper import build_paper

    loaded = load_screen(screen)
    redrawn = {c: [i.question_id for i in build_paper(loaded, c).questions()] for c in candidates}
    assert any(
        redrawn[c] != [i.question_id for s in before[c] for i in s.items] for c in candidates
    )


def test_a_changed_question_stops_grading_unless_reissued(run_cli, screen, tmp_path):
    issue(run_cli, screen, "alice", tmp_path / "alice")
    answer_all_right(screen, "alice", tmp_path / "alice")
    record = read_record(record_path(issued(screen), "alice"))
    first = record.sections[0].items[0]
    pool = screen.parent / "bank" / "pool.yaml"
    text = pool.read_text(encoding="utf-8")
    block_start = text.index(f"  - id: {first.question_id}\n")
    block_end = text.find("\n  - id:", block_start + 1)
    block = text[block_start:block_end]
    flipped = block.replace("answer: true", "answer: TMP").replace("answer: false", "answer: true")
    pool.write_text(text.replace(block, flipped.replace("answer: TMP", "answer: false")))

    refused = grade(run_cli, screen, "alice", tmp_path / "alice", tmp_path / "r1")
    assert refused.exit_code == 2
    assert f"{first.label} ({first.question_id}) changed" in refused.stderr
    assert "--reissue" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "r1" / "results.json").exists()

    accepted = grade(run_cli, screen, "alice", tmp_path / "alice", tmp_path / "r2", "--reissue")
    assert accepted.exit_code == 0, accepted.stderr
    doc = json.loads((tmp_path / "r2" / "results.json").read_text())
    items = {i["label"]: i for s in doc["sections"] for i in s["items"]}
    assert items[first.label]["status"] == "wrong"  # graded on the current key
    assert any("re-issued" in n and first.question_id in n for n in doc["paper_notes"])
    after = read_record(record_path(issued(screen), "alice"))
    assert len(after.reissued) == 1 and after.issued_at == record.issued_at
    # accepted once: the next grade needs no flag
    again = grade(run_cli, screen, "alice", tmp_path / "alice", tmp_path / "r3")
    assert again.exit_code == 0, again.stderr


def test_a_question_that_is_gone_is_refused_even_with_reissue(run_cli, screen, tmp_path):
    issue(run_cli, screen, "bob", tmp_path / "bob")
    first = read_record(record_path(issued(screen), "bob")).sections[0].items[0]
    pool = screen.parent / "bank" / "pool.yaml"
    text = pool.read_text(encoding="utf-8")
    pool.write_text(text.replace(f"id: {first.question_id}\n", "id: pool-renamed\n"))
    for extra in ((), ("--reissue",)):
        result = grade(run_cli, screen, "bob", tmp_path / "bob", tmp_path / "r", *extra)
        assert result.exit_code == 2
        assert first.question_id in result.stderr and "no longer hold" in result.stderr


def test_changed_scoring_settings_are_refused_like_changed_questions(run_cli, screen, tmp_path):
    issue(run_cli, screen, "carol", tmp_path / "carol")
    screen.write_text(SCREEN + "partial_credit: {multiple_choice: none}\n", encoding="utf-8")
    result = grade(run_cli, screen, "carol", tmp_path / "carol", tmp_path / "r")
    assert result.exit_code == 2 and "partial_credit changed" in result.stderr


def test_a_paper_never_issued_is_drawn_at_grading_recorded_and_noted(run_cli, screen, tmp_path):
    folder = tmp_path / "dave"
    folder.mkdir()
    (folder / "answers.yaml").write_text("candidate: dave\nanswers:\n", encoding="utf-8")
    result = grade(run_cli, screen, "dave", folder, tmp_path / "r")
    assert result.exit_code == 1, result.stderr
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    assert "drawn from the bank at grading" in doc["paper_notes"][0]
    assert record_path(issued(screen), "dave").is_file()


def test_issuing_again_gives_the_recorded_paper(run_cli, screen, tmp_path):
    issue(run_cli, screen, "erin", tmp_path / "a")
    first = (tmp_path / "a" / "paper.md").read_text()
    add_questions(screen, 20)
    issue(run_cli, screen, "erin", tmp_path / "b")
    assert (tmp_path / "b" / "paper.md").read_text() == first


def test_candidate_ids_ignore_case_everywhere(run_cli, screen, tmp_path):
    issue(run_cli, screen, "AliceSmith", tmp_path / "upper")
    issue(run_cli, screen, "alicesmith", tmp_path / "lower")
    assert (tmp_path / "upper" / "paper.md").read_text().replace("AliceSmith", "alicesmith") == (
        tmp_path / "lower" / "paper.md"
    ).read_text()
    assert record_path(issued(screen), "alicesmith").is_file()
    assert not record_path(issued(screen), "AliceSmith").exists()
    answer_all_right(screen, "AliceSmith", tmp_path / "upper")
    for who in ("AliceSmith", "alicesmith", "ALICESMITH"):
        out = tmp_path / "r" / who
        result = grade(run_cli, screen, who, tmp_path / "upper", out)
        assert result.exit_code == 0, result.stderr
        doc = json.loads((out / "results.json").read_text())
        assert doc["candidate"] == "alicesmith" and doc["points"] == 4.0


def test_a_batch_skips_a_linked_folder_and_a_case_duplicate_with_error_rows(
    run_cli, screen, tmp_path
):
    root = tmp_path / "candidates"
    root.mkdir()
    for c in ("alice", "bob"):
        issue(run_cli, screen, c, root / c)
        answer_all_right(screen, c, root / c)
    shutil.copytree(root / "alice", root / "Alice")
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(root / "bob", elsewhere)
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    out = tmp_path / "reports"
    result = run_cli(
        "screen", "grade", screen, "--candidates", root, "-o", out, "--issued", issued(screen)
    )
    assert result.exit_code == 2
    board = (out / "leaderboard.csv").read_text()
    rows = {line.split(",")[1]: line for line in board.splitlines()[1:]}
    assert "symbolic link" in rows["linked"]
    assert "ids ignore case" in board
    assert (out / "bob" / "results.json").is_file()
    assert json.loads((out / "bob" / "results.json").read_text())["points"] == 4.0


ACCOMMODATING = (
    SCREEN.replace(
        "threshold: {percent: 50}\n", "threshold: {percent: 50}\ntime_limit_minutes: 40\n"
    )
    + "deadline: 2026-12-01T17:00:00Z\n"
    + "accommodations:\n"
    + "  AliceSmith: {extra_percent: 50, deadline: '2026-12-02T17:00:00+00:00', note: agreed}\n"
    + "  bob: {extra_minutes: 15}\n"
)


def test_accommodations_give_their_candidate_more_time_and_another_deadline(
    run_cli, screen, tmp_path
):
    screen.write_text(ACCOMMODATING, encoding="utf-8")
    papers = {}
    for who in ("alicesmith", "bob", "carol"):
        issue(run_cli, screen, who, tmp_path / who)
        papers[who] = (tmp_path / who / "paper.md").read_text()
    assert (
        "Time: 60 minutes (with 50% extra). Hand in by 2026-12-02T17:00:00+00:00."
        in papers["alicesmith"]
    )
    assert (
        "Time: 55 minutes (with 15 minutes extra). Hand in by 2026-12-01T17:00:00+00:00."
        in (papers["bob"])
    )
    assert "Time: 40 minutes. Hand in by 2026-12-01T17:00:00+00:00." in papers["carol"]
    assert "agreed" not in papers["alicesmith"]
    answer_all_right(screen, "alicesmith", tmp_path / "alicesmith")
    out = tmp_path / "r"
    assert grade(run_cli, screen, "AliceSmith", tmp_path / "alicesmith", out).exit_code == 0
    info = json.loads((out / "results.json").read_text())["screen"]
    assert (info["time_limit_minutes"], info["deadline"], info["extra_time"]) == (
        60,
        "2026-12-02T17:00:00+00:00",
        "50%",
    )


@pytest.mark.parametrize(
    "extra, words",
    [
        ("deadline: 2026-12-01T17:00:00\n", "has no time zone"),
        (
            "accommodations:\n  Bob: {extra_minutes: 5}\n  bob: {extra_minutes: 9}\n",
            "more than once",
        ),
    ],
)
def test_accommodations_and_deadlines_are_validated(run_cli, screen, extra, words):
    screen.write_text(SCREEN + extra, encoding="utf-8")
    result = run_cli("screen", "validate", screen)
    assert result.exit_code == 2 and words in result.stderr

"""`quizzer screen grade` and the scale-out path: a solution file that could not be
judged (the machine's fault) is never scored as the candidate's zero, the grade is
withheld and the exit status (3) says to grade again; with `--ledger`, grading again
judges only what is missing and rebuilds the same leaderboard from the ledger. The
real judge throughout; the broken sandbox is a real process sandbox whose worker
script does not exist, so it fails to start as a broken machine's would."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from quizzer.judge.sandbox import make_sandbox
from quizzer.screen import grader
from quizzer.screen.load import load_screen
from tests.screen_fixtures.support import SCREEN
from tests.test_screen_e2e import hand_in

pytestmark = pytest.mark.slow


def broken_sandbox(choice, device):
    return make_sandbox("process", device=device, worker="/nonexistent/harness.py")


def test_a_file_that_was_not_judged_is_never_the_candidates_zero(run_cli, tmp_path):
    hand_in(run_cli, tmp_path / "dana", "dana")
    loaded = load_screen(SCREEN)
    choice = grader.judge_choice(loaded.screen.judge, sandbox="process")
    [graded] = grader.grade_candidates(
        loaded,
        [("dana", tmp_path / "dana")],
        choice,
        strict=False,
        sandbox_factory=broken_sandbox,
    )
    assert graded.results is None  # no document with a 0 for the coding tasks
    assert graded.infrastructure is True
    assert graded.error is not None and graded.error.startswith("not graded: solutions/")
    assert "was not judged" in graded.error and "grade again" in graded.error
    with pytest.raises(grader.NotGraded) as raised:
        grader.grade_candidates(
            loaded, [("dana", tmp_path / "dana")], choice, sandbox_factory=broken_sandbox
        )
    assert raised.value.exit_code == 3


def test_the_batch_exits_3_and_the_leaderboard_says_not_graded(run_cli, tmp_path, monkeypatch):
    root = tmp_path / "candidates"
    hand_in(run_cli, root / "dana", "dana")
    monkeypatch.setattr(grader, "_open_sandbox", broken_sandbox)
    out = tmp_path / "out"
    done = run_cli("screen", "grade", SCREEN, "--candidates", root, "-o", out)
    assert done.exit_code == 3, done.stderr
    assert "not graded, through no fault of theirs: dana" in done.stderr
    [row] = list(csv.DictReader(io.StringIO((out / "leaderboard.csv").read_text())))
    assert row["candidate"] == "dana" and row["points"] == ""
    assert "not graded" in row["message"]
    assert not (out / "dana" / "results.json").exists()


@pytest.mark.usefixtures("shared_sandbox")
def test_grading_again_with_the_ledger_judges_only_what_is_missing(run_cli, tmp_path):
    root = tmp_path / "candidates"
    hand_in(run_cli, root / "dana", "dana")
    hand_in(run_cli, root / "erin", "erin", mlp="fix-linear-pass.py", answer=False)
    ledger = tmp_path / "grading.db"
    args = ("screen", "grade", SCREEN, "--candidates", root, "--ledger", ledger)
    first = run_cli(*args, "-o", tmp_path / "one", "--sandbox", "process")
    assert first.exit_code == 1, first.stderr  # erin did not pass
    with sqlite3.connect(ledger) as db:
        rows = db.execute("SELECT name, state, attempts FROM submissions").fetchall()
    assert len(rows) == 4 and {(s, a) for _, s, a in rows} == {("done", 1)}
    # a lost result: the row goes back to pending, as if the driver died before storing it
    with sqlite3.connect(ledger) as db:
        db.execute("UPDATE submissions SET state='pending', result=NULL WHERE rowid=1")
    again = run_cli(*args, "-o", tmp_path / "two", "--sandbox", "process")
    assert again.exit_code == 1, again.stderr
    with sqlite3.connect(ledger) as db:
        attempts = sorted(a for (a,) in db.execute("SELECT attempts FROM submissions"))
    assert attempts == [1, 1, 1, 2]  # only the missing one was judged again
    board = (tmp_path / "one" / "leaderboard.csv").read_text()
    assert (tmp_path / "two" / "leaderboard.csv").read_text() == board


def test_a_stored_not_judged_result_is_judged_again(tmp_path: Path):
    from quizzer.judge.scale.batch import run_batch
    from quizzer.judge.scale.ledger import Ledger
    from quizzer.judge.scale.work import Submission, not_judged

    sub = Submission("simple-nn", "t" * 64, b"x", "x.py", 1)
    ledger = Ledger(tmp_path / "l.db")
    ledger.add([sub])
    ledger.store(sub.key, not_judged(sub, "the node was lost"), "n1")

    class Judges:
        name = "judges"

        def judge(self, subs, on_sent, on_result):
            for s in subs:
                on_sent(s)
                on_result(s, {"status": "fail", "submission": s.name}, "n2")

        def close(self):
            pass

    [doc] = run_batch([sub], Judges(), ledger)
    assert doc["status"] == "fail"
    [row] = ledger.rows()
    assert (row.state, row.node) == ("done", "n2")

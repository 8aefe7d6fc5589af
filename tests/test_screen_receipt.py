"""`screen grade --feedback receipt`: what a candidate's push gets before the deadline.
It says what was received, whether it parses and how many answers were given; it
never says a score or whether any answer is right, never runs the candidate's code,
and exits 1 only when something must be fixed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from quizzer.screen.load import load_screen
from quizzer.screen.paper import build_paper
from tests.screen_fixtures.support import SCREEN, SOLUTIONS, fill_template, right_answer


def hand_in(run_cli, tmp_path: Path, candidate: str = "alice") -> tuple[Path, dict]:
    folder = tmp_path / candidate
    assert run_cli("screen", "paper", SCREEN, "-c", candidate, "-o", folder).exit_code == 0
    loaded = load_screen(SCREEN)
    paper = build_paper(loaded, candidate)
    right = {
        i.label: json.dumps(right_answer(loaded.bank.get(i.question_id)))
        for i in paper.questions()[:3]
    }
    fill_template(folder / "answers.yaml", right)
    shutil.copyfile(SOLUTIONS / "fix-linear-pass.py", folder / "solutions" / "fix-linear.py")
    return folder, right


def test_a_receipt_counts_and_parses_but_never_scores(run_cli, tmp_path):
    folder, right = hand_in(run_cli, tmp_path)
    marker = tmp_path / "ran"
    (folder / "solutions" / "fix-mlp.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\nclass FixMLP: pass\n"
    )
    out = tmp_path / "receipt"
    result = run_cli(
        "screen", "grade", SCREEN, "-c", "alice", "-s", folder, "-o", out, "--feedback", "receipt"
    )
    assert result.exit_code == 0, result.stderr
    assert not marker.exists()  # parsed, never run
    doc = json.loads((out / "receipt.json").read_text())
    paper = build_paper(load_screen(SCREEN), "alice")
    assert (doc["answered"], doc["questions"]) == (len(right), len(paper.questions()))
    assert (doc["parsed"], doc["tasks"]) == (2, 2)
    assert set(doc["files"]) == {"answers.yaml", "solutions/fix-linear.py", "solutions/fix-mlp.py"}
    assert sorted(p.name for p in out.iterdir()) == ["receipt.json", "receipt.md"]
    shown = result.stdout + (out / "receipt.md").read_text() + (out / "receipt.json").read_text()
    for word in ("point", "right", "wrong", "pass ", "fail", "SECRET", "%"):
        assert word not in shown.lower().replace("no scores", ""), word


def test_a_receipt_names_what_to_fix_and_exits_1(run_cli, tmp_path):
    folder, _ = hand_in(run_cli, tmp_path)
    (folder / "solutions" / "fix-mlp.py").write_text("class FixMLP(:\n")
    (folder / "solutions" / "fix-linear.py").unlink()
    (folder / "solutions" / "fix_linear.py").write_text("x = 1\n")
    out = tmp_path / "receipt"
    result = run_cli(
        "screen", "grade", SCREEN, "-c", "alice", "-s", folder, "-o", out, "--feedback", "receipt"
    )
    assert result.exit_code == 1
    assert "solutions/fix-mlp.py:1: SyntaxError" in result.stdout
    assert "name it solutions/fix-linear.py" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_receipt_is_for_one_candidate(run_cli, tmp_path):
    result = run_cli(
        "screen", "grade", SCREEN, "--candidates", tmp_path, "-o", tmp_path / "o",
        "--feedback", "receipt",
    )  # fmt: skip
    assert result.exit_code == 2 and "give --candidate" in result.stderr

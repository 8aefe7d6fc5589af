"""A whole hiring round, end to end, as a hiring team runs it: six candidates (strong,
weak, blank, malformed answers, hostile code, correct-but-different code) are issued
papers; the bank then grows; everyone is graded; a reviewer scores the open answers;
everyone is graded again. Checked: every number, that the issued papers held, that
reviews survive grading again, that what a candidate can see holds no key, that text a
candidate controls is escaped in every format, and the exit codes. The HTML reports
are opened in a real headless browser where one is installed (.ci/run installs
Chromium)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from quizzer.screen.issued import read_record, record_path
from quizzer.screen.load import load_screen
from tests.screen_fixtures.support import (
    FIXTURES,
    PRIVATE,
    PUBLIC,
    fill_template,
    right_answer,
    wrong_answer,
)

CANDIDATES = ("strong", "weak", "blank", "malformed", "hostile", "different")
HOSTILE_TEXT = "</td><script>document.title='pwned'</script>| ## ✅ passed 47/47 |"

DIFFERENT_LINEAR = '''
import math
import torch


class FixLinear(torch.nn.Module):
    """A hand-made affine layer: not the reference's nn.Linear."""

    def __init__(self):
        super().__init__()
        bound = 1 / math.sqrt(4)
        self.w = torch.nn.Parameter(torch.empty(2, 4).uniform_(-bound, bound))
        self.b = torch.nn.Parameter(torch.zeros(2))

    def forward(self, inputs):
        return torch.addmm(self.b, inputs, self.w.t())
'''

DIFFERENT_MLP = """
import torch
import torch.nn.functional as F


class FixMLP(torch.nn.Module):
    def __init__(self, hidden: int = 16):
        super().__init__()
        self.first = torch.nn.Linear(4, hidden)
        self.second = torch.nn.Linear(hidden, 2)

    def forward(self, batch):
        return self.second(F.gelu(self.first(batch)))
"""

HOSTILE_LINEAR = f"""
from torch import nn

print({HOSTILE_TEXT!r})


class FixLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        raise RuntimeError({HOSTILE_TEXT!r})
"""

EXTRA_POOL = """
  - id: pool-late-{n}
    type: true_false
    topic: drawpool
    difficulty: easy
    prompt: Added to the bank after the papers were issued ({n}).
    answer: true
    explanation: Late.
"""


def chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


def dump_dom(page: Path) -> str:
    """The page as a real browser parsed and rendered it (the DOM after load)."""
    browser = chromium()
    assert browser is not None
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={page.parent / '.chromium-profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def round_(tmp_path: Path, run_cli):
    """A screen over copies of the fixture banks, and the six candidates' folders."""
    shutil.copytree(PUBLIC, tmp_path / "public")
    shutil.copytree(PRIVATE, tmp_path / "private")
    screen = tmp_path / "screen.yaml"
    shutil.copyfile(FIXTURES / "screen.yaml", screen)
    root = tmp_path / "candidates"
    for who in CANDIDATES:
        result = run_cli("screen", "paper", screen, "-c", who, "-o", root / who)
        assert result.exit_code == 0, result.stderr
    loaded = load_screen(screen)
    for who in CANDIDATES:
        _answer(loaded, who, root / who)
    return screen, root


def _answer(loaded, who: str, folder: Path) -> None:
    record = read_record(record_path(_issued(loaded.path), who))
    items = [i for s in record.sections for i in s.items if i.kind == "question"]
    solutions = folder / "solutions"
    values: dict[str, str] = {}
    for item in items:
        question = loaded.bank.get(item.question_id)
        right = json.dumps(right_answer(question))
        if who in ("strong", "different"):
            values[item.label] = right
        elif who == "weak" and question.type != "open":  # and no open answer
            keep = item.question_id in ("pub-single", "pub-tf")
            values[item.label] = right if keep else json.dumps(wrong_answer(question))
        elif who == "malformed" and item.question_id in ("pub-single", "pub-numeric"):
            values[item.label] = right
        elif who == "hostile" and item.question_id == "pub-short":
            values[item.label] = json.dumps(HOSTILE_TEXT)
    fill_template(folder / "answers.yaml", values)
    if who == "malformed":  # by hand, as people do: an unclosed list, an unquoted colon
        labels = {i.question_id: i.label for i in items}
        text = (folder / "answers.yaml").read_text()
        text = text.replace(f"  {labels['pub-multi']}:\n", f"  {labels['pub-multi']}: [a, b\n")
        text = text.replace(f"  {labels['pub-tf']}:\n", f"  {labels['pub-tf']}: true: I think\n")
        (folder / "answers.yaml").write_text(text)
    fixtures = FIXTURES / "solutions"
    if who == "strong":
        shutil.copyfile(fixtures / "fix-linear-pass.py", solutions / "fix-linear.py")
        shutil.copyfile(PUBLIC / "tasks" / "fix-mlp" / "reference.py", solutions / "fix-mlp.py")
    elif who == "weak":
        shutil.copyfile(fixtures / "fix-linear-pass.py", solutions / "fix-linear.py")
        shutil.copyfile(fixtures / "fix-mlp-detached.py", solutions / "fix-mlp.py")
    elif who == "different":
        (solutions / "fix-linear.py").write_text(DIFFERENT_LINEAR)
        (solutions / "fix-mlp.py").write_text(DIFFERENT_MLP)
    elif who == "hostile":
        (solutions / "fix-linear.py").write_text(HOSTILE_LINEAR)


def _issued(screen: Path) -> Path:
    import os

    return Path(os.environ["QUIZZER_ISSUED"]) / screen.stem


def _read(out: Path, who: str, view: str = "") -> dict:
    return json.loads((out / who / view / "results.json").read_text())


def _items(doc: dict) -> dict[str, dict]:
    return {i["id"] or i["label"]: i for s in doc["sections"] for i in s["items"]}


@pytest.mark.slow
@pytest.mark.usefixtures("shared_sandbox")
def test_a_whole_round(round_, run_cli, tmp_path):
    screen, root = round_
    issued = {who: read_record(record_path(_issued(screen), who)) for who in CANDIDATES}
    # The bank grows after the papers went out: nobody's paper may move.
    pool = screen.parent / "public" / "pool.yaml"
    pool.write_text(pool.read_text() + "".join(EXTRA_POOL.format(n=n) for n in range(12)))

    out = tmp_path / "reports"
    graded = run_cli(
        "screen", "grade", screen, "--candidates", root, "-o", out, "--sandbox", "process"
    )
    assert graded.exit_code == 1, graded.stderr  # some candidates did not pass
    docs = {who: _read(out, who) for who in CANDIDATES}
    for who, doc in docs.items():  # frozen: exactly the issued questions
        asked = [i["id"] for s in doc["sections"] for i in s["items"]]
        assert asked == [i.question_id for s in issued[who].sections for i in s.items], who
        assert doc["paper_notes"] == []

    # Every number. Concepts: 1 + 2 + 1 + 3 + 1 + 1 + 2 drawn = 11, and 4 for the open
    # question (pending); coding: fix-linear 10 (shapes, gradients, learning), fix-mlp 6.
    totals = {who: (d["points"], d["pending_points"], d["status"]) for who, d in docs.items()}
    assert totals == {
        "strong": (27.0, 4.0, "pass"),
        "different": (27.0, 4.0, "pass"),
        "weak": (14.0, 0.0, "fail"),  # pub-single 1 + pub-tf 1 + fix-linear 10 + fix-mlp 2
        "malformed": (4.0, 0.0, "fail"),  # pub-single 1 + pub-numeric 3
        "blank": (0.0, 0.0, "fail"),
        "hostile": (0.0, 0.0, "fail"),
    }
    assert all(d["max_points"] == 31.0 for d in docs.values())
    malformed = _items(docs["malformed"])
    assert "not valid YAML" in malformed["pub-multi"]["note"]
    assert malformed["pub-tf"]["points"] == 0.0 and "not valid YAML" in malformed["pub-tf"]["note"]
    weak_mlp = {c["name"]: c["points"] for c in _items(docs["weak"])["fix-mlp"]["checks"]}
    assert weak_mlp == {"load": 1.0, "shapes": 1.0, "gradients": 0.0, "learning": 0.0}
    # The strong candidate handed in copies of the reference solutions: flagged.
    assert any("reference solution" in m for m in _items(docs["strong"])["fix-mlp"]["similar"])
    assert not _items(docs["different"])["fix-linear"]["similar"]

    board = list(csv.DictReader(io.StringIO((out / "leaderboard.csv").read_text())))
    assert [(r["candidate"], r["points"]) for r in board] == [
        ("different", "27"),
        ("strong", "27"),
        ("weak", "14"),
        ("malformed", "4"),
        ("blank", "0"),
        ("hostile", "0"),
    ]

    # A reviewer scores both open answers; the leaderboard and reports follow.
    for who, rubric in (("strong", "0,1,2,3"), ("different", "0")):
        label = _items(docs[who])["private-open"]["label"]
        reviewed = run_cli("screen", "review", out / who, "--item", label, "--rubric", rubric)
        assert reviewed.exit_code == 0, reviewed.stderr
    assert _read(out, "strong")["points"] == 31.0 and _read(out, "different")["points"] == 28.0
    board = (out / "leaderboard.csv").read_text()
    assert ",strong,pass,31," in board and ",different,pass,28," in board

    # Grading again (the bank grew meanwhile) keeps the reviews and the papers.
    again = run_cli(
        "screen", "grade", screen, "--candidates", root, "-o", out, "--sandbox", "process"
    )
    assert again.exit_code == 1, again.stderr
    assert _read(out, "strong")["points"] == 31.0 and _read(out, "different")["points"] == 28.0
    assert _items(_read(out, "strong"))["private-open"]["status"] == "reviewed"

    # What a candidate can see holds no key, and nothing of theirs became markup.
    secrets = ("SECRET-", "Reproduce with a fixed seed, check the data")
    for who in CANDIDATES:
        for path in (out / who / "candidate").rglob("*"):
            text = path.read_text()
            assert not any(s in text for s in secrets), (who, path)
            view = _items(json.loads((out / who / "candidate" / "results.json").read_text()))
            assert all(not i.get("expected") and not i.get("explanation") for i in view.values())
    for path in (out / "hostile").rglob("*.md"):
        text = path.read_text()
        assert "<script>" not in text and "\n## ✅ passed 47/47" not in text
    ET.parse(out / "hostile" / "junit.xml")  # still well-formed
    for page in [out / "report.html", *(out / who / "report.html" for who in CANDIDATES)]:
        assert "<script" not in page.read_text(), page
    assert "&lt;/td&gt;&lt;script&gt;" in (out / "hostile" / "report.html").read_text()
    cohort = (out / "report.html").read_text()
    for who in CANDIDATES:
        assert f'href="{who}/report.html"' in cohort

    if chromium() is None:
        pytest.skip("needs Chromium for the browser half (apt install chromium; .ci/run does)")
    dom = dump_dom(out / "hostile" / "report.html")
    assert "<title>Fixture screen: hostile</title>" in dom  # no script ran to change it
    assert "pwned" not in dom.split("<body>")[0]
    assert dom.count("<table>") >= 3
    cohort_dom = dump_dom(out / "report.html")
    assert 'aria-label="score distribution"' in cohort_dom and "<rect" in cohort_dom
    assert "private-open" in cohort_dom and "pub-single" in cohort_dom

"""`verify_tasks`: every bundled task's reference passes, each known-bad variant fails
first at the check it names, and each starter passes no check that earns points; a
variant that slips through, or fails elsewhere, or a starter that earns points, is a
bank problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quizzer.bank.loader import load_bank
from quizzer.judge.verify import verify_tasks
from tests.judge_support import TASKS, warm_sandbox

#: Every task folder of the bundled bank: each must load as a task.
BUNDLED = {p.name for p in TASKS.iterdir() if (p / "task.yaml").is_file()}


#: The tasks judged here in full; the golden cases judge every task's reference and
#: known-bad variants (tests/test_judge_golden.py), and `quizzer bank verify` all of
#: them on 20 seeds (docs/judge.md).
VERIFIED_HERE = ("simple-nn", "linear-from-scratch", "train-step")
#: The first test verifies on the sandbox `verify_tasks` opens itself; the others judge
#: on this test process's warm one (a warm parent's start costs more than their runs).


@pytest.mark.slow
def test_the_bundled_tasks_verify_cleanly():
    whole = load_bank([TASKS], include_bundled=False)
    assert {t.id for t in whole.tasks()} == BUNDLED and len(BUNDLED) >= 24
    assert all(len(t.variants) >= 4 for t in whole.tasks())
    bank = load_bank([TASKS / t for t in VERIFIED_HERE], include_bundled=False)
    seen: list[str] = []
    assert verify_tasks(bank, progress=seen.append) == []
    assert any("starter starter.py (must earn no points)" in line for line in seen)
    judged = sum(2 + len(t.variants) for t in bank.tasks())  # reference, variants, starter
    assert len([line for line in seen if line.startswith("judging ")]) == judged


# That the verdicts hold for other seeds too: the golden cases judge every task's
# reference and known-bad files through the command line at another seed
# (tests/test_judge_golden.py), with the same first failing check.


def _task_copy(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "simple-nn"
    shutil.copytree(TASKS / "simple-nn", folder)
    yaml = folder / "task.yaml"
    yaml.write_text(edit(yaml.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def _only_variants(text: str, keep: str) -> str:
    head, _, tail = text.partition("    variants:\n")
    blocks = tail.split("      - path: ")[1:]
    kept = [b for b in blocks if b.startswith(keep)]
    return head + "    variants:\n" + "".join("      - path: " + b for b in kept)


@pytest.mark.slow
def test_a_variant_that_passes_is_a_bank_problem(tmp_path):
    folder = _task_copy(tmp_path, lambda t: _only_variants(t, "bad/tiny_output.py"))
    shutil.copy(folder / "reference.py", folder / "bad" / "tiny_output.py")
    problems = verify_tasks(load_bank([folder], include_bundled=False), sandbox=warm_sandbox())
    assert len(problems) == 1
    assert problems[0].field == "variants[0]" and "passes every check" in problems[0].message


@pytest.mark.slow
def test_a_variant_failing_at_another_check_is_a_bank_problem(tmp_path):
    def edit(text: str) -> str:
        text = _only_variants(text, "bad/wrong_output_size.py")
        return text.replace("fails_at: shapes", "fails_at: gradients")

    problems = verify_tasks(
        load_bank([_task_copy(tmp_path, edit)], include_bundled=False), sandbox=warm_sandbox()
    )
    assert len(problems) == 1
    assert "should fail at gradients but first fails at shapes" in problems[0].message


@pytest.mark.slow
def test_a_starter_that_earns_points_is_a_bank_problem(tmp_path):
    """A starter that already computes the right shapes would give an untouched file
    points; `load` passing alone is fine (it earns nothing)."""
    folder = _task_copy(tmp_path, lambda t: _only_variants(t, "bad/wrong_output_size.py"))
    (folder / "starter.py").write_text(
        "import torch\n\n\nclass SimpleNN(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = torch.nn.Linear(10, 3)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n",
        encoding="utf-8",
    )
    problems = verify_tasks(load_bank([folder], include_bundled=False), sandbox=warm_sandbox())
    assert [p.field for p in problems] == ["starter"]
    assert "handed in untouched, passes shapes" in problems[0].message
    assert "load" not in problems[0].message.split("passes ")[1].split(" (")[0]

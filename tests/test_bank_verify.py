"""`quizzer bank verify`: code_output answers are proven by running their snippets in a
separate runner (fresh child per snippet, time limit, output cap), and coding tasks
are handed to the judge's `verify_tasks`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from quizzer.bank import Problem, load_bank
from quizzer.bank.snippets import SnippetRunner, needs_torch, verify_snippets

REPO = Path(__file__).resolve().parents[1]

GOOD = Path(__file__).parent / "bank_fixtures" / "good"


@pytest.fixture(autouse=True)
def no_env_bank(monkeypatch):
    monkeypatch.delenv("QUIZZER_BANK", raising=False)


def snippet_bank(tmp_path: Path, snippets: dict[str, tuple[str, str]]) -> Path:
    """A bank folder with one code_output question per (code, answer)."""
    parts = ["questions:\n"]
    for qid, (code, answer) in snippets.items():
        parts.append(
            f"  - id: {qid}\n    type: code_output\n    topic: t\n    difficulty: easy\n"
            f"    prompt: What does {qid} print?\n    explanation: Run it.\n"
            "    code: |\n"
            + textwrap.indent(code.strip() + "\n", "      ")
            + "    answer: |\n"
            + textwrap.indent(answer.strip() + "\n", "      ")
        )
    folder = tmp_path / "bank"
    folder.mkdir(exist_ok=True)
    (folder / "snippets.yaml").write_text("".join(parts), encoding="utf-8")
    return folder


def test_the_good_bank_snippets_match(run_cli):
    result = run_cli(
        "bank", "verify", "--no-tasks", "--bank", GOOD, env={"QUIZZER_BANK": str(GOOD)}
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok: 2 code_output answer(s) match what their snippets print"
    assert "[1/2] fixture-code-output: ok" in result.stderr
    assert "[2/2] fixture-code-options: ok" in result.stderr


def test_a_wrong_answer_is_reported_with_its_line_and_a_diff(run_cli, tmp_path):
    folder = snippet_bank(
        tmp_path, {"right-one": ("print(1)", "1"), "wrong-one": ("print(2)\nprint(3)", "2\n4")}
    )
    result = run_cli("bank", "verify", env={"QUIZZER_BANK": str(folder)})
    assert result.exit_code == 2
    assert (
        "snippets.yaml:12:5: [wrong-one] answer: the snippet prints something else" in result.stdout
    )
    assert "-4\n+3" in result.stdout
    assert "[2/2] wrong-one: MISMATCH" in result.stderr
    assert "error: 1 problem(s) in 1 file(s)" in result.stderr


def test_errors_timeouts_and_exits_are_problems(tmp_path):
    folder = snippet_bank(
        tmp_path,
        {
            "raises": ("print(1 / 0)", "1"),
            "spins": ("while True:\n    pass", "never"),
            "exits": ("import sys\nprint('x')\nsys.exit(3)", "x"),
            "stdin-is-empty": ("import sys\nprint(repr(sys.stdin.read()))", "''"),
        },
    )
    bank = load_bank([folder], include_bundled=False, env={})
    problems = {p.question_id: p for p in verify_snippets(bank, timeout=1.0)}
    assert set(problems) == {"raises", "spins", "exits"}
    assert "ZeroDivisionError: division by zero" in problems["raises"].message
    assert "ran too long" in problems["spins"].message
    assert "exit status 3" in problems["exits"].message
    assert all(isinstance(p, Problem) and p.line > 0 for p in problems.values())


def test_a_flood_of_output_is_cut_and_fails(tmp_path):
    folder = snippet_bank(tmp_path, {"floods": ("print('x' * 50_000_000)", "x")})
    bank = load_bank([folder], include_bundled=False, env={})
    (problem,) = verify_snippets(bank, timeout=20.0)
    assert problem.question_id == "floods"


def test_processes_started_by_a_snippet_are_killed(tmp_path):
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess\n"
        f"child = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('started')"
    )
    folder = snippet_bank(tmp_path, {"spawns": (code, "started")})
    bank = load_bank([folder], include_bundled=False, env={})
    assert verify_snippets(bank) == []
    pid = int(pid_file.read_text())
    for _ in range(100):  # SIGKILL is delivered at once; give the kernel a moment
        if gone(pid):
            break
        time.sleep(0.02)
    assert gone(pid)


def gone(pid: int) -> bool:
    """Dead: no such process, or a zombie waiting to be reaped."""
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True


def test_each_snippet_runs_in_a_fresh_process(tmp_path):
    folder = snippet_bank(
        tmp_path,
        {
            "sets-global": ("import builtins\nbuiltins.MARK = 1\nprint('set')", "set"),
            "sees-nothing": ("import builtins\nprint(hasattr(builtins, 'MARK'))", "False"),
        },
    )
    bank = load_bank([folder], include_bundled=False, env={})
    assert verify_snippets(bank) == []


def test_the_runner_restarts_after_it_dies(tmp_path):
    with SnippetRunner(preload=()) as runner:
        assert runner.run("a", "print(1)").stdout == "1\n"
        assert runner._proc is not None
        runner._proc.kill()
        runner._proc.wait()
        again = runner.run("b", "print(2)")
        assert (again.status, again.stdout) == ("ok", "2\n")


def test_only_snippets_that_import_torch_preload_it():
    bank = load_bank([GOOD], include_bundled=False, env={})
    snippets = [q for q in bank.questions if q.type == "code_output"]
    assert not needs_torch(snippets)
    with_torch = snippets[0].model_copy(update={"code": "import torch\nprint(1)"})
    assert needs_torch([with_torch])


def test_verify_only_some_ids(run_cli, tmp_path):
    folder = snippet_bank(tmp_path, {"good-one": ("print(1)", "1"), "bad-one": ("print(2)", "3")})
    result = run_cli("bank", "verify", "--id", "good-one", env={"QUIZZER_BANK": str(folder)})
    assert result.exit_code == 0
    assert "bad-one" not in result.stderr
    unknown = run_cli("bank", "verify", "--id", "good-onne", env={"QUIZZER_BANK": str(folder)})
    assert unknown.exit_code == 2
    assert "did you mean 'good-one'?" in unknown.stderr


def fake_judge(monkeypatch, problems):
    calls = []

    def verify_tasks(bank, *, progress=None, seeds=None):
        calls.append(([t.id for t in bank.tasks()], seeds))
        if progress:
            progress("judging tasks")
        return problems

    module = types.ModuleType("quizzer.judge.verify")
    module.verify_tasks = verify_tasks  # type: ignore[attr-defined]
    module.verify_seeds = lambda n: list(range(n))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "quizzer.judge.verify", module)
    return calls


def test_verify_hands_the_tasks_to_the_judge(run_cli, monkeypatch):
    calls = fake_judge(monkeypatch, [])
    result = run_cli("bank", "verify", env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert calls == [(["fixture-tiny-linear"], list(range(20)))]  # 20 seeds by default
    assert "judging tasks" in result.stderr
    calls.clear()
    result = run_cli("bank", "verify", "--seeds", "3", env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 0 and calls == [(["fixture-tiny-linear"], [0, 1, 2])]


def test_task_problems_from_the_judge_fail_verify(run_cli, monkeypatch):
    where = GOOD / "tasks" / "tiny-linear" / "task.yaml"
    problem = Problem(
        where, 3, 5, "fixture-tiny-linear", "variants[0]", "passed, but must fail at shapes"
    )
    fake_judge(monkeypatch, [problem])
    result = run_cli("bank", "verify", env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 2
    assert (
        "task.yaml:3:5: [fixture-tiny-linear] variants[0]: passed, but must fail at shapes"
        in result.stdout
    )


def test_no_tasks_skips_the_judge(run_cli, monkeypatch):
    calls = fake_judge(monkeypatch, [])
    assert run_cli("bank", "verify", "--no-tasks", env={"QUIZZER_BANK": str(GOOD)}).exit_code == 0
    assert calls == []


def test_without_the_task_judge_verify_says_so(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "quizzer.judge.verify", None)
    result = run_cli("bank", "verify", env={"QUIZZER_BANK": str(GOOD)})
    assert result.exit_code == 0
    assert "1 coding task(s) not verified" in result.stderr


@pytest.mark.slow
def test_torch_snippets_run_in_the_runner_not_in_this_process(tmp_path):
    import subprocess

    folder = snippet_bank(
        tmp_path,
        {
            "torch-shape": (
                "import torch\nprint(torch.ones(2, 3).sum(dim=0).shape)",
                "torch.Size([3])",
            ),
            "torch-grad": (
                "import torch\nx = torch.ones(2, requires_grad=True)\n(x * 3).sum().backward()\n"
                "print(x.grad)",
                "tensor([3., 3.])",
            ),
        },
    )
    code = (
        "import sys\nfrom quizzer.cli import main\n"
        "try:\n    main(['bank', 'verify'])\n"
        "except SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "print('torch' in sys.modules)"
    )
    env = {**__import__("os").environ, "QUIZZER_BANK": str(folder)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert "ok: 2 code_output answer(s)" in result.stdout


def test_a_file_that_misses_on_several_seeds_is_one_problem_naming_them():
    from quizzer.judge.verify import _merged, verify_seeds

    where = GOOD / "tasks" / "tiny-linear" / "task.yaml"
    hits = [(s, Problem(where, 3, 5, "t", "reference", f"fails (seed {s})")) for s in (7, 9)]
    merged = _merged(hits, 20)
    assert merged.field == "reference" and merged.line == 3
    assert merged.message.startswith("on 2 of 20 seeds (7, 9); the first: fails (seed 7)")
    assert _merged(hits[:1], 1) is hits[0][1]  # one seed: the problem as it was
    assert verify_seeds(3) == verify_seeds(3) and len(set(verify_seeds(20))) == 20


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_the_runner_notices_an_exit_with_and_without_a_pidfd(pidfd):
    """The runner waits on the child's pidfd where the kernel has them, and polls
    where it does not: either way the output, the exit status and a timeout come out
    right. (Run in a fresh interpreter: the runner forks.)"""
    code = (
        "import json, os, sys\n"
        f"sys.path.insert(0, {str(REPO / 'quizzer' / 'bank')!r})\n"
        "import snippet_runner as r\n"
        f"if not {pidfd}: r._pidfd = lambda pid: None\n"
        "fd = os.open(os.devnull, os.O_WRONLY)\n"
        "out = [r.run_one('a', 'print(6 * 7)', 5.0, 1000, fd),\n"
        "       r.run_one('b', 'import sys; sys.exit(3)', 5.0, 1000, fd),\n"
        "       r.run_one('c', 'while True: pass', 0.5, 1000, fd)]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    ok, exits, spins = json.loads(done.stdout)
    assert (ok["status"], ok["stdout"], ok["exit_code"]) == ("ok", "42\n", 0)
    assert (exits["status"], exits["exit_code"]) == ("error", 3)
    assert spins["status"] == "timeout" and 0.5 <= spins["seconds"] < 5
    assert ok["seconds"] < 2  # an exit is noticed as it happens, not at the deadline

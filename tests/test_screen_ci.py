"""The CI examples in examples/ci/ hold against a candidate and work as written.

The design: candidates push to repositories of their own with no workflow; the
grader's private repository posts a receipt on each push (no scores), collects the
hand-ins at the deadline and grades them in a job that holds no token. Here: every
`quizzer` command line parses; jobs that hold a token run no candidate code; actions
are pinned by commit and quizzer is installed as a package; zizmor finds nothing; and
the commands, run as the jobs run them (same arguments and environment), write a
receipt without a key in it and the reviewer's reports."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import yaml

from quizzer.bank.models import text_in
from quizzer.cli import app
from quizzer.screen.load import load_screen
from quizzer.screen.paper import build_paper
from tests.screen_fixtures.support import REPO, fill_template, right_answer

GITHUB = REPO / "examples" / "ci" / "github-screen.yml"
GITLAB = REPO / "examples" / "ci" / "gitlab-screen.yml"
LOGIN = "octo-cat"
EXAMPLE_SCREEN = REPO / "examples" / "screens" / "pytorch-screen.yaml"
OPERATORS = {"||", "&&", ";", "|"}


def commands_in(script: str) -> Iterator[list[str]]:
    """Each simple command of a shell script, as words (quotes removed)."""
    for line in script.replace("\\\n", " ").splitlines():
        words: list[str] = []
        for word in shlex.split(line, comments=True):
            if word in OPERATORS:
                if words:
                    yield words
                words = []
            else:
                words.append(word)
        if words:
            yield words


def expand(word: str, env: dict[str, str]) -> str:
    return re.sub(
        r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), word
    )


def _job_text(job: dict) -> str:
    return yaml.safe_dump(job)


def github_doc() -> dict:
    return yaml.safe_load(GITHUB.read_text())


def gitlab_doc() -> dict:
    return yaml.safe_load(GITLAB.read_text())


def github_jobs() -> dict[str, tuple[dict[str, str], list[list[str]]]]:
    """job -> (environment, quizzer commands), with the loop's `$login` filled in as
    it is for the candidate LOGIN."""
    doc = github_doc()
    jobs = {}
    for name, job in doc["jobs"].items():
        env = {**doc.get("env", {}), **job.get("env", {}), "login": LOGIN}
        commands = [
            [expand(w, env) for w in words]
            for step in job["steps"]
            if "run" in step
            for words in commands_in(step["run"])
            if words[0] == "quizzer"
        ]
        jobs[name] = (env, commands)
    return jobs


def gitlab_jobs() -> dict[str, tuple[dict[str, str], list[list[str]]]]:
    doc = gitlab_doc()
    jobs = {}
    for name, job in doc.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        base = doc.get(job.get("extends", ""), {})
        env = {**doc.get("variables", {}), "login": LOGIN}
        env.update({k: expand(v, env) for k, v in job.get("variables", {}).items()})
        lines = [*job.get("before_script", base.get("before_script", [])), *job["script"]]
        commands = [
            [expand(w, env) for w in words]
            for line in lines
            for words in commands_in(line)
            if words[0] == "quizzer"
        ]
        jobs[name] = (env, commands)
    return jobs


def parse(args: list[str]) -> tuple[str, dict]:
    """Parse a command line with the real CLI, without running it."""
    command = typer.main.get_command(app)
    ctx = command.make_context("quizzer", list(args))
    while hasattr(command, "commands"):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    return str(command.name), ctx.params


ALL = [("github", job, cmd) for job, (_, cmds) in github_jobs().items() for cmd in cmds] + [
    ("gitlab", job, cmd) for job, (_, cmds) in gitlab_jobs().items() for cmd in cmds
]


def grades(command: list[str]) -> bool:
    return command[1:3] == ["screen", "grade"]


def test_the_examples_hold_the_commands_they_promise():
    for ci, jobs in (("github", github_jobs()), ("gitlab", gitlab_jobs())):
        receipts = [c for c in jobs["receipts"][1] if grades(c)]
        assert receipts and all(c[c.index("--feedback") + 1] == "receipt" for c in receipts), ci
        graded = [c for c in jobs["grade"][1] if grades(c)]
        assert graded and all("--candidates" in c for c in graded), ci
        assert any(c[1:3] == ["screen", "validate"] for c in jobs["grade"][1]), ci
        assert not jobs["collect"][1], ci  # collecting runs no quizzer command at all


@pytest.mark.parametrize(
    "ci, job, command", ALL, ids=[f"{c}-{j}-{' '.join(w[1:3])}" for c, j, w in ALL]
)
def test_every_quizzer_command_line_parses(ci, job, command):
    parse(command[1:])


def test_a_broken_command_line_would_be_caught():
    with pytest.raises(Exception, match="No such option"):
        parse(["screen", "grade", "s.yaml", "--out", "o", "--feedback-mode", "receipt"])


def test_before_the_deadline_a_push_gets_a_receipt_only():
    """Every grade a candidate's push can trigger is a receipt: the full grade runs
    only in the job that follows the collection at the deadline."""
    for ci, job, command in ALL:
        if grades(command) and job != "grade":
            assert command[command.index("--feedback") + 1] == "receipt", (ci, job)


def test_jobs_with_a_token_run_no_candidate_code_and_the_grade_job_has_none():
    doc = github_doc()
    assert doc["permissions"] == {}
    for name, job in doc["jobs"].items():
        text = _job_text(job)
        if "secrets." in text:
            assert name in ("receipts", "collect"), name
        if name == "grade":
            assert "secrets." not in text and job["permissions"] == {}
            assert not any("actions/checkout" in str(s.get("uses", "")) for s in job["steps"])
    for ci, job, command in ALL:
        if job in ("receipts", "collect"):
            assert not grades(command) or "receipt" in command, (ci, job)
            assert command[1] not in ("judge", "exam"), (ci, job)
    gl = gitlab_doc()
    for name in ("receipts", "collect"):
        assert gl[name]["environment"]["name"] == "candidate-access"
    assert "environment" not in gl["grade"] and "SCREEN_TOKEN" not in _job_text(gl["grade"])


def test_only_the_graders_own_branch_starts_a_pipeline():
    triggers = github_doc().get("on") or github_doc().get(True)
    assert set(triggers) == {"schedule", "workflow_dispatch"}  # no pull request of any kind
    rules = gitlab_doc()["workflow"]["rules"]
    assert all("merge_request" not in str(rule) for rule in rules)
    assert any("schedule" in str(rule) for rule in rules)


def test_actions_are_pinned_by_commit_and_quizzer_is_installed_as_a_package():
    doc = github_doc()
    uses = [s["uses"] for job in doc["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses), uses
    for path in (GITHUB, GITLAB):
        text = path.read_text()
        assert re.search(r'QUIZZER: "quizzer==[0-9.]+"', text), path
        assert 'pip install --quiet "$QUIZZER"' in text
        assert not re.search(r"pip install[^\n]* (-e )?\.(\s|$)", text), path


def test_the_github_workflow_passes_zizmor():
    zizmor = Path(sys.executable).with_name("zizmor")
    done = subprocess.run(
        [str(zizmor), "--offline", "--persona", "pedantic", str(GITHUB)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout


# --- running them -----------------------------------------------------------------


def fixture_candidate(folder: Path, run_cli) -> None:
    """The paper of LOGIN, issued as the grader issues it (into issued/), answered
    right (and the open question answered), with the reference solutions handed in."""
    result = run_cli(
        "screen", "paper", EXAMPLE_SCREEN, "--candidate", LOGIN, "--out", folder,
        env={"QUIZZER_ISSUED": "issued"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    loaded = load_screen(EXAMPLE_SCREEN)
    paper = build_paper(loaded, LOGIN)
    values = {}
    for item in paper.questions():
        question = loaded.bank.get(item.question_id)
        values[item.label] = json.dumps(right_answer(question))
    fill_template(folder / "answers.yaml", values)
    for task in paper.tasks():
        reference = loaded.bank.resolve(
            task.question_id, loaded.bank.get(task.question_id).reference
        )
        (folder / "solutions" / f"{task.label}.py").write_text(reference.read_text())


@pytest.fixture
def workspace(tmp_path, monkeypatch, run_cli) -> Path:
    """The grader's checkout as the jobs see it: the examples, issued/, and the
    candidate's files where the loops put them."""
    (tmp_path / "examples").symlink_to(REPO / "examples")
    monkeypatch.chdir(tmp_path)
    fixture_candidate(tmp_path / "candidates" / LOGIN, run_cli)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_example_jobs_give_a_receipt_then_the_reviewers_reports(
    ci, workspace, run_cli, monkeypatch
):
    jobs = github_jobs() if ci == "github" else gitlab_jobs()
    ran = 0
    for job, (env, commands) in jobs.items():
        for command in commands:
            if command[1] != "screen":
                continue  # sandbox set-up: parsed above; the judge sets its sandbox up itself
            result = run_cli(*command[1:], env={k: v for k, v in env.items() if k.isupper()})
            assert result.exit_code == 0, (
                f"{job}: {shlex.join(command)}\n{result.stdout}\n{result.stderr}"
            )
            ran += 1
    assert ran == 3
    receipt = json.loads((workspace / "receipts" / LOGIN / "receipt.json").read_text())
    loaded = load_screen(EXAMPLE_SCREEN)
    paper = build_paper(loaded, LOGIN)
    assert (receipt["answered"], receipt["questions"]) == (len(paper.questions()),) * 2
    assert (receipt["parsed"], receipt["tasks"]) == (2, 2) and receipt["problems"] == []
    # What the candidate sees (the receipt) holds no key, no explanation, no score.
    seen = "".join(p.read_text() for p in (workspace / "receipts").rglob("*") if p.is_file())
    for item in paper.questions():
        question = loaded.bank.get(item.question_id)
        assert text_in(question.explanation, "en").strip()[:40] not in seen
    assert "Reproduce it with a fixed seed" not in seen  # the private model answer
    assert not re.search(r"\b(points?|right|wrong|passed)\b", seen.replace("No scores", ""))
    # The reviewers' reports, after the deadline, in the grader's repository only.
    board = (workspace / "screen-reports" / "leaderboard.csv").read_text().splitlines()
    assert board[1].startswith(f"1,{LOGIN},pass,30,33,")  # 30 of 33 already passes 60%
    assert "simple-nn: identical to the reference solution" in board[1]  # handed in as is
    reviewer = json.loads((workspace / "screen-reports" / LOGIN / "results.json").read_text())
    assert reviewer["view"] == "reviewer" and reviewer["paper_notes"] == []
    model_answer = "Reproduce it with a fixed seed, then narrow it down"
    assert model_answer in (workspace / "screen-reports" / LOGIN / "summary.md").read_text()

"""The CI examples in examples/ci/ work as written: every `quizzer` command line in
them parses, and the screen commands, run as the workflow runs them (same arguments,
same environment variables), grade a fixture candidate and write the reports the
workflow then publishes."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import yaml

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


def github_jobs() -> dict[str, tuple[dict[str, str], list[list[str]]]]:
    """job -> (environment, quizzer commands), with GitHub's expressions filled in as
    they would be for a pull request by LOGIN."""
    doc = yaml.safe_load(GITHUB.read_text())
    jobs = {}
    for name, job in doc["jobs"].items():
        env = {**doc.get("env", {}), **job.get("env", {})}
        env = {
            k: v.replace("${{ github.event.pull_request.user.login }}", LOGIN)
            for k, v in env.items()
        }
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
    doc = yaml.safe_load(GITLAB.read_text())
    predefined = {"GITLAB_USER_LOGIN": LOGIN}
    jobs = {}
    for name, job in doc.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        base = doc.get(job.get("extends", ""), {})
        env = {**predefined, **doc.get("variables", {})}
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


def test_the_examples_hold_the_commands_they_promise():
    names = {(ci, job, " ".join(cmd[:3])) for ci, job, cmd in ALL}
    for ci, job in (
        ("github", "grade"),
        ("github", "leaderboard"),
        ("gitlab", "screen"),
        ("gitlab", "leaderboard"),
    ):
        assert (ci, job, "quizzer screen grade") in names
    assert ("github", "grade", "quizzer screen validate") in names
    assert ("gitlab", "screen", "quizzer screen validate") in names


@pytest.mark.parametrize(
    "ci, job, command", ALL, ids=[f"{c}-{j}-{' '.join(w[1:3])}" for c, j, w in ALL]
)
def test_every_quizzer_command_line_parses(ci, job, command):
    parse(command[1:])


def test_a_broken_command_line_would_be_caught():
    with pytest.raises(Exception, match="No such option"):
        parse(["screen", "grade", "s.yaml", "--out", "o", "--candidate-veiw"])


def test_candidate_pages_show_only_the_candidate_view():
    """What a pull request shows (check run, job page, artifact) is written with
    --candidate-view; the reviewer's reports come only from the manual job."""
    for ci, job, command in ALL:
        if command[1:3] == ["screen", "grade"] and "--candidates" not in command:
            assert "--candidate-view" in command, (ci, job)


def test_the_github_workflow_takes_the_workflow_from_the_base_branch():
    doc = yaml.safe_load(GITHUB.read_text())
    triggers = doc.get("on") or doc.get(True)
    assert "pull_request_target" in triggers and "pull_request" not in triggers
    steps = doc["jobs"]["grade"]["steps"]
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout")]
    assert checkouts[1]["with"]["path"] == "submission"
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)
    # No step runs anything from the candidate's checkout.
    for step in steps:
        for words in commands_in(step.get("run", "")):
            assert not words[0].startswith("submission/"), words
            assert words[0] not in ("python", "bash", "sh") or not any(
                "submission" in w for w in words
            )


# --- running them -----------------------------------------------------------------


def fixture_candidate(folder: Path, run_cli) -> None:
    """The paper of LOGIN, answered right (and the open question answered), with the
    reference solutions handed in."""
    result = run_cli("screen", "paper", EXAMPLE_SCREEN, "--candidate", LOGIN, "--out", folder)
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
    """A checkout as the CI job sees it: the repository's examples, and the
    candidate's folder where each job looks for it."""
    (tmp_path / "examples").symlink_to(REPO / "examples")
    fixture_candidate(tmp_path / "candidates" / LOGIN, run_cli)
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "candidates").symlink_to(tmp_path / "candidates")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_example_jobs_grade_a_fixture_candidate(ci, workspace, run_cli, monkeypatch):
    summary = workspace / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    jobs = github_jobs() if ci == "github" else gitlab_jobs()
    ran = 0
    for job, (env, commands) in jobs.items():
        for command in commands:
            if command[1] != "screen":
                continue  # sandbox set-up: parsed above; the judge sets its sandbox up itself
            result = run_cli(*command[1:], env=env)
            assert result.exit_code == 0, (
                f"{job}: {shlex.join(command)}\n{result.stdout}\n{result.stderr}"
            )
            ran += 1
    assert ran == 3
    pr_report = workspace / "screen-report"
    doc = json.loads((pr_report / "results.json").read_text())
    assert (doc["candidate"], doc["view"], doc["status"]) == (LOGIN, "candidate", "pass")
    assert (pr_report / "junit.xml").is_file()  # the file the workflow publishes
    # Every question right, both reference solutions pass; the open answer is pending.
    open_points = sum(
        i["max_points"] for s in doc["sections"] for i in s["items"] if i["status"] == "pending"
    )
    assert doc["points"] == doc["max_points"] - open_points == 30.0
    board = (workspace / "screen-reports" / "leaderboard.csv").read_text().splitlines()
    assert board[1].startswith(f"1,{LOGIN},pass,30,33,")
    reviewer = json.loads((workspace / "screen-reports" / LOGIN / "results.json").read_text())
    assert reviewer["view"] == "reviewer"
    if ci == "github":
        assert f"`{LOGIN}` passed" in summary.read_text()
    # The private bank's model answer reaches no page the candidate can see.
    model_answer = "Reproduce it with a fixed seed, then narrow it down"
    for path in pr_report.rglob("*"):
        assert model_answer not in path.read_text()
    assert model_answer in (workspace / "screen-reports" / LOGIN / "summary.md").read_text()

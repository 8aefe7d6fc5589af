"""`quizzer judge` reads only the regular files it is given: a symbolic link (which
could hand the judge a root-only file or a task's reference solution, and put it in
the report as the submission) is exit 2 naming the file, before any work; a link
swapped in after that check is refused by the read itself (O_NOFOLLOW)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quizzer.errors import UsageError
from quizzer.judge.runner import judge_file
from tests.fake_worker import FakeSandbox, no_class
from tests.judge_support import GOOD_NN, task

SECRET = "ROOT-ONLY-SECRET = 'hunter2'\n"


@pytest.fixture
def seen(monkeypatch) -> list[str]:
    """Sources that reached the (fake) sandbox of `quizzer judge`."""
    sources: list[str] = []

    def reply(req):
        sources.append(req["source"])
        return no_class(req["nonce"], ["Other"])

    monkeypatch.setattr("quizzer.judge.sandbox.open_sandbox", lambda *a, **k: FakeSandbox(reply))
    return sources


@pytest.fixture
def link(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.py"
    secret.write_text(SECRET)
    link = tmp_path / "solution.py"
    link.symlink_to(secret)
    return link


def test_a_symlinked_submission_is_exit_2_naming_it(run_cli, seen, link, tmp_path):
    good = tmp_path / "good.py"
    good.write_text(GOOD_NN)
    result = run_cli("judge", good, link, "--task", "simple-nn", "--device", "cpu", "--json")
    assert result.exit_code == 2
    assert str(link) in result.stderr and "symbolic link" in result.stderr
    assert seen == []  # refused before any file was judged
    assert "hunter2" not in result.stdout + result.stderr


def test_a_link_to_a_folder_or_a_dangling_link_is_refused_too(run_cli, seen, tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "to-dir.py").symlink_to(tmp_path / "dir")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    for name in ("to-dir.py", "dangling.py"):
        result = run_cli("judge", tmp_path / name, "--task", "simple-nn", "--device", "cpu")
        assert result.exit_code == 2 and "symbolic link" in result.stderr, name
    assert seen == []


def test_the_read_itself_refuses_a_link(link):
    from quizzer.judge.files import read_submission

    with pytest.raises(UsageError, match="symbolic link"):
        read_submission(link)
    coding = task("simple-nn")
    with pytest.raises(UsageError, match="symbolic link"):
        judge_file(link, coding, FakeSandbox(lambda req: b""))


def test_a_fifo_is_refused_without_hanging(tmp_path):
    from quizzer.judge.files import read_submission

    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        read_submission(fifo)


def test_a_regular_file_is_read(tmp_path):
    from quizzer.judge.files import read_submission

    path = tmp_path / "ok.py"
    path.write_bytes(b"x = 1\n")
    assert read_submission(path) == b"x = 1\n"


def test_a_name_that_is_not_utf8_is_judged_and_reported(run_cli, seen, tmp_path):
    path = Path(os.fsdecode(bytes(tmp_path) + b"/\xff-solution.py"))
    path.write_text(GOOD_NN)
    result = run_cli("judge", path, "--task", "simple-nn", "--device", "cpu", "--json")
    assert result.exit_code == 1
    assert seen and '\\\\xff-solution.py"' in result.stdout

"""The files a Docker sandbox container runs (the warm parent and the worker), staged
in a private temporary folder that the containers mount read-only at /opt/quizzer.

Called by `docker.py`. Why copies: a bind mount shows its source path in the
container's mount table (/proc/self/mountinfo), and the path of the judge's checkout
or installation is nothing a run needs to see; the staged folder's name says only
which judge process made it. Each `DockerSandbox` stages its own folder and removes it
when closed; folders of judges that died are removed by the next one to start.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from quizzer.judge.sandbox.view import ZYGOTE_SCRIPT

#: The warm parent's files (standalone: they load each other by path).
PARENT_FILES = ("zygote.py", "zygote_docker.py", "confine.py")
PREFIX = "quizzer-sandbox-"
_NAME = re.compile(re.escape(PREFIX) + r"(\d+)-\w+")


def stage(worker: str) -> str:
    """A new folder with the warm parent's files and the worker's whole folder (its
    entry loads its sibling files by path) as `worker/`; returns its path."""
    app = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")  # only the judge may write
    try:
        for name in PARENT_FILES:
            shutil.copyfile(ZYGOTE_SCRIPT.parent / name, os.path.join(app, name))
        shutil.copytree(
            os.path.dirname(worker),
            os.path.join(app, "worker"),
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        # The container's uid 65534 reads them; nobody but the judge may write them.
        for folder, _dirs, files in os.walk(app):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
    except BaseException:
        shutil.rmtree(app, ignore_errors=True)
        raise
    return app


def remove(app: str) -> None:
    shutil.rmtree(app, ignore_errors=True)


def remove_stale() -> list[Path]:
    """Remove staged folders of judges that are no longer running."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in Path(tempfile.gettempdir()).iterdir():
            found = _NAME.fullmatch(entry.name)
            if not found or os.path.exists(f"/proc/{found.group(1)}"):
                continue
            info = entry.lstat()
            if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed

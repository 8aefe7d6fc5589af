"""The process sandbox run by an ordinary user: bubblewrap makes a user namespace, the
warm parent's keeper joins it and drops every capability. Where the tests run as root,
they become uid 65534 for this: an outer bubblewrap (as root) gives a view in which the
interpreter under /root is reachable, and `setpriv` drops to the ordinary user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from quizzer.judge.sandbox.bwrap_source import find_bwrap
from tests.sandbox_support import STUB_WORKER

REPO = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, os, sys
sys.path.insert(0, REPO)
from quizzer.errors import SandboxError
from quizzer.judge.sandbox import make_sandbox
from quizzer.judge.sandbox.base import RunRequest
from quizzer.bank.models import Limits

report = {"uid": os.getuid()}
try:
    make_sandbox("process", worker=WORKER).close()
    report["refused"] = None
except SandboxError as exc:
    report["refused"] = exc.msg
box = make_sandbox("process", allow_weak=True, worker=WORKER)
report["protections"] = box.protections()
src = "import os\nF = ('/proc/self/status', '/proc/1/cmdline')\n"
src += "ANSWER = [os.getuid()] + [open(f).read() for f in F]"
out = box.run(RunRequest(json.dumps({"source": src}).encode(), Limits(wall_s=10)))
report["reply"] = out.reply.decode()
report["output"] = out.output
bomb = open(os.path.join(REPO, "tests/hostile/fork_bomb.py")).read()
small = Limits(wall_s=2, cpu_s=1, processes=16)
out = box.run(RunRequest(json.dumps({"source": bomb}).encode(), small))
report["bomb"] = [out.exit_code, out.signal, out.limit_hit, out.wall_s]
box.close()
print(json.dumps(report))
"""


def _command() -> list[str]:
    code = SCRIPT.replace("REPO", repr(str(REPO))).replace("WORKER", repr(str(STUB_WORKER)))
    python = [sys.executable, "-I", "-c", code]
    if os.geteuid() != 0:
        return python
    setpriv, bwrap = shutil.which("setpriv"), find_bwrap().path
    assert setpriv, "util-linux (setpriv) is missing: .ci/run installs it"
    assert bwrap, find_bwrap().detail
    outer = [bwrap, "--dev-bind", "/", "/", "--cap-add", "ALL"]
    base = Path(sys.base_prefix).resolve()
    if base.is_relative_to("/root"):  # /root is 0700: show only the interpreter in it
        outer += ["--perms", "0755", "--tmpfs", "/root"]
        for parent in reversed(base.relative_to("/root").parents[:-1]):
            outer += ["--perms", "0755", "--dir", str(Path("/root") / parent)]
        outer += ["--ro-bind", str(base), str(base)]
    drop = [setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all"]
    return [*outer, "--", *drop, "env", "-i", "PATH=/usr/bin:/bin", "HOME=/tmp", *python]


@pytest.mark.slow
def test_an_ordinary_user_gets_a_user_namespace_and_no_capabilities():
    proc = subprocess.run(_command(), capture_output=True, text=True, timeout=240, cwd="/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["uid"] != 0
    assert "namespace:user" in report["protections"]
    reply = json.loads(report["reply"])
    assert reply["ok"] is True, report["output"]
    uid, status, pid1 = reply["answer"]
    assert uid == report["uid"], "the ordinary uid is mapped 1:1 into the sandbox"
    assert pid1.split("\0")[:2] == ["bwrap", "--args"], "pid 1 shows no bind of the view"
    caps = {
        line.split(":")[0]: line.split()[1]
        for line in status.splitlines()
        if line.startswith("Cap")
    }
    assert set(caps.values()) == {"0000000000000000"}, caps
    assert "NoNewPrivs:\t1" in status
    if report["refused"] is not None:
        assert "cgroup" in report["refused"] and "--allow-weak-sandbox" in report["refused"]
        assert "cgroup-" not in " ".join(report["protections"])
    exit_code, _signal, limit, wall = report["bomb"]
    assert exit_code != 0 and limit in ("processes", "wall", "cpu")
    assert wall < 2 + 6

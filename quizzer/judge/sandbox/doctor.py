"""What isolation this machine can give, protection by protection.

`diagnose()` backs `quizzer sandbox doctor` and `make_sandbox`'s refusal message. Each
`Finding` names one protection, says whether it is available, and why not with the fix.
`required` marks what the process sandbox needs for full isolation: without it the
judge refuses untrusted code unless told `--allow-weak-sandbox` (or `--sandbox none`).
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass

from quizzer.judge.sandbox import cgroups, confine
from quizzer.judge.sandbox.view import python_view


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    #: "process", "docker" or "" (informational): which backend needs it.
    required_by: str = ""


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def bwrap_works() -> tuple[bool, str]:
    """Run a real bubblewrap sandbox with the namespaces the process sandbox uses."""
    from quizzer.judge.sandbox.bwrap import bwrap_argv
    from quizzer.judge.sandbox.bwrap_source import find_bwrap

    found = find_bwrap()
    bwrap = found.path
    if not bwrap:
        return False, found.detail
    r, w = os.pipe()
    argv = bwrap_argv(
        bwrap, python_view(), root=os.geteuid() == 0, info_fd=w, scratch_mb=8, device="cpu"
    )
    argv = [*argv[: argv.index("--")], "--", python_view().executable, "-I", "-S", "-c", "pass"]
    try:
        proc = subprocess.run(argv, pass_fds=(w,), capture_output=True, timeout=30, env={})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap could not run: {exc}"
    finally:
        os.close(w)
        os.close(r)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        return False, f"bwrap failed: {err[-300:]}"
    return True, f"{found.describe()}: a test sandbox ran"


def _userns() -> Finding:
    root = os.geteuid() == 0
    max_ns = _read("/proc/sys/user/max_user_namespaces")
    clone = _read("/proc/sys/kernel/unprivileged_userns_clone")
    apparmor = _read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
    problems = []
    if max_ns == "0":
        problems.append("user.max_user_namespaces is 0")
    if clone == "0":
        problems.append("kernel.unprivileged_userns_clone is 0")
    if apparmor == "1" and not root:
        problems.append("AppArmor restricts unprivileged user namespaces (needs a bwrap profile)")
    if root:
        detail = "not needed as root: runs switch to uid 65534 (nobody) instead"
        return Finding(
            "user namespaces", True, detail + (f"; {'; '.join(problems)}" if problems else "")
        )
    if problems:
        return Finding("user namespaces", False, "; ".join(problems), "process")
    return Finding("user namespaces", True, f"available (max {max_ns})", "process")


def _cgroups() -> list[Finding]:
    support = cgroups.detect()
    out = []
    for c in cgroups.CONTROLLERS:
        ok = support.has(c)
        if ok:
            detail = f"cgroup v{support.version}: per-run groups under {support.bases[c]}"
        else:
            named = [p for p in support.problems if f"'{c}'" in p or f" {c}:" in p]
            detail = (named or ["; ".join(support.problems) or "not available"])[0]
        need = "process" if c in ("memory", "pids") else ""
        if c == "cpu" and not ok:
            detail += " (CPU time is still limited by RLIMIT_CPU)"
        out.append(Finding(f"cgroup {c} limit", ok, detail, need))
    return out


def _seccomp() -> Finding:
    status = _read("/proc/self/status") or ""
    kernel = "Seccomp:" in status
    lib = confine.seccomp_available()
    if kernel and lib:
        return Finding(
            "seccomp filter",
            True,
            "kernel support and libseccomp: namespace, mount, ptrace, bpf, io_uring, "
            "keyring, inotify and byte-range lock calls are denied",
        )
    why = (
        "the kernel has no seccomp"
        if not kernel
        else "libseccomp is not installed (apt-get install libseccomp2)"
    )
    return Finding("seccomp filter", False, why)


def _docker() -> list[Finding]:
    from quizzer.errors import SandboxError
    from quizzer.judge.sandbox.docker import client_or_error
    from quizzer.judge.sandbox.image import IMAGE, image_kind

    try:
        client = client_or_error(timeout=5)
    except SandboxError as exc:
        return [Finding("docker engine", False, exc.msg, "docker")]
    version = client.version().get("Version", "?")
    out = [Finding("docker engine", True, f"Docker {version} reachable", "docker")]
    kind = image_kind(client, IMAGE)
    if kind is None:
        out.append(
            Finding(
                "docker image",
                False,
                f"{IMAGE} is not built yet: run `quizzer sandbox build-image` "
                "(the Docker sandbox also builds it on first use)",
            )
        )
    else:
        out.append(
            Finding(
                "docker image",
                True,
                f"{IMAGE} ("
                + ("host Python mounted read-only" if kind[0] == "host" else "its own Python")
                + ")",
            )
        )
    return out


def _gpu() -> Finding:
    nodes = (
        sorted(n for n in os.listdir("/dev") if n.startswith("nvidia"))
        if os.path.isdir("/dev")
        else []
    )
    if nodes:
        return Finding(
            "gpu", True, f"NVIDIA device nodes: {', '.join(nodes[:6])}; --device cuda is possible"
        )
    return Finding(
        "gpu", False, "no NVIDIA device nodes in /dev: --device cuda is not possible here"
    )


def diagnose(docker: bool = True) -> list[Finding]:
    ok, detail = bwrap_works()
    findings = [Finding("bubblewrap", ok, detail, "process"), _userns()]
    if ok:
        findings.append(
            Finding("namespaces", True, "mount, pid, net, ipc, uts, cgroup: new per run", "process")
        )
        findings.append(Finding("no_new_privs", True, "set by bubblewrap and by each run"))
    findings += _cgroups()
    findings.append(_seccomp())
    if docker:
        findings += _docker()
    findings.append(_gpu())
    return findings


def missing_for(backend: str, findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.required_by == backend and not f.ok]


def format_findings(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        mark = "ok  " if f.ok else ("MISS" if f.required_by else "--  ")
        need = f" [needed by the {f.required_by} sandbox]" if f.required_by and not f.ok else ""
        lines.append(f"{mark} {f.name}: {f.detail}{need}")
    return "\n".join(lines)

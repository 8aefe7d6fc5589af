"""Control groups for sandboxed runs: one cgroup per run with memory, pids and CPU
limits, on cgroup v1 or v2, nested under the judge's own cgroup.

`detect()` says what this machine offers (for `quizzer sandbox doctor` and the process
sandbox); `JobCgroup` is one run's group: the warm worker's per-run keeper writes its
own pid into `procs_files` before it forks the submission's process, so everything the
submission starts is counted and can be killed as a group. Nothing here imports torch.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the bank's models load after a cold call has started its sandbox
    from quizzer.bank.models import Limits

CONTROLLERS = ("memory", "pids", "cpu")
_counter = itertools.count(1)


@dataclass(frozen=True)
class CgroupSupport:
    #: 1, 2, or None when no usable hierarchy was found.
    version: int | None
    #: controller -> folder under which run cgroups are made (v2: the same folder).
    bases: dict[str, Path] = field(default_factory=dict)
    #: One line per problem, naming the controller and the fix.
    problems: tuple[str, ...] = ()

    def has(self, controller: str) -> bool:
        return controller in self.bases


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, super options) of the cgroup mounts."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            fstype, _source, opts = [*right.split(), "", "", ""][:3]
            if fstype in ("cgroup", "cgroup2"):
                found.append((left.split()[4], fstype, set(opts.split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """controller (or "" for v2) -> this process's cgroup path."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup", encoding="utf-8") as fh:
        for line in fh:
            _hid, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(",") if ctrls else [""]:
                paths[c] = path
    return paths


def _writable_dir(path: Path) -> bool:
    probe = path / f"quizzer-probe-{os.getpid()}-{next(_counter)}"
    try:
        probe.mkdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.rmdir()
    return True


#: The leaf group that the judge's own processes move into on cgroup v2.
LEAF = "quizzer-judge"


def _enable_v2(base: Path, want: list[str], root: Path | None = None) -> list[str]:
    """Make `want` controllers available to children of `base`; return those missing.
    A controller that `base` itself lacks is first enabled down the ancestors from
    `root` (the mount point), where this process may (normally only as root)."""
    available = set((base / "cgroup.controllers").read_text().split())
    if root is not None and any(c not in available for c in want):
        _enable_down_to(root, base, [c for c in want if c not in available])
        available = set((base / "cgroup.controllers").read_text().split())
    enabled = set((base / "cgroup.subtree_control").read_text().split())
    missing = [c for c in want if c not in available]
    todo = [c for c in want if c in available and c not in enabled]
    if todo:
        try:
            _delegate(base, todo)
        except OSError as exc:
            # "No internal processes": a group with members of its own cannot hand
            # controllers to children.
            if exc.errno != errno.EBUSY or not _delegate_from_leaf(base, todo):
                missing += todo
    return missing


def _delegate_from_leaf(base: Path, controllers: list[str]) -> bool:
    """Move the members of `base` into a leaf, then delegate; False if either fails."""
    try:
        if _empty_into_leaf(base):
            _delegate(base, controllers)
            return True
    except OSError:
        pass
    return False


def _enable_down_to(root: Path, base: Path, controllers: list[str]) -> None:
    """Enable `controllers` in the subtree of every group from `root` down to the
    parent of `base`; stops at the first group that refuses (never moves processes
    that are not the judge's own)."""
    if root not in base.parents:
        return
    for group in reversed(base.parents[: base.parents.index(root) + 1]):
        try:
            enabled = set((group / "cgroup.subtree_control").read_text().split())
            todo = [c for c in controllers if c not in enabled]
            if todo:
                _delegate(group, todo)
        except OSError:
            return


def _delegate(base: Path, controllers: list[str]) -> None:
    (base / "cgroup.subtree_control").write_text(" ".join("+" + c for c in controllers))


def _join(group: Path, pid: str) -> None:
    (group / "cgroup.procs").write_text(pid)


def _empty_into_leaf(base: Path) -> bool:
    """Move every process of `base` (the judge and whatever shares its group: a
    delegated systemd scope, a container, a CI step) into the leaf `base/LEAF`, as
    container runtimes do, so that `base` may hand controllers to run groups."""
    leaf = base / LEAF
    leaf.mkdir(exist_ok=True)
    for _ in range(20):
        pids = (base / "cgroup.procs").read_text().split()
        if not pids:
            return True
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                _join(leaf, pid)
    return not (base / "cgroup.procs").read_text().split()


def detect() -> CgroupSupport:
    """Which controllers this process can use for run cgroups, and why not the rest."""
    try:
        mounts, own = _mounts(), _own_paths()
    except OSError as exc:
        return CgroupSupport(None, problems=(f"cannot read /proc cgroup files: {exc}",))
    v1 = {c: m for m, t, opts in mounts if t == "cgroup" for c in opts if c in CONTROLLERS}
    v2 = [m for m, t, _ in mounts if t == "cgroup2"]
    bases: dict[str, Path] = {}
    problems: list[str] = []
    v2_base = Path(v2[0]) / own.get("", "/").lstrip("/") if v2 and "" in own else None
    if v2_base is not None and v2_base.name == LEAF:
        v2_base = v2_base.parent  # an earlier judge moved this group's processes there
    if v1:
        # Hybrid machines keep the controllers on v1; a v2 mount beside them is empty.
        for c in CONTROLLERS:
            if c not in v1:
                problems.append(f"cgroup v1: no '{c}' hierarchy is mounted")
                continue
            base = Path(v1[c]) / own.get(c, "/").lstrip("/")
            if _writable_dir(base):
                bases[c] = base
            else:
                problems.append(
                    f"cgroup v1 {c}: cannot create groups under {base} "
                    "(run as root, or ask for a delegated cgroup)"
                )
        if bases:
            return CgroupSupport(1, bases, tuple(problems))
    if v2_base is not None and (v2_base / "cgroup.controllers").exists():
        want = [c for c in CONTROLLERS if c not in bases]
        if not _writable_dir(v2_base):
            problems.append(
                f"cgroup v2: cannot create groups under {v2_base} (run as root, or under "
                "`systemd-run --user --scope -p Delegate=yes`)"
            )
        else:
            missing = _enable_v2(v2_base, want, Path(v2[0]))
            for c in missing:
                problems.append(
                    f"cgroup v2: controller '{c}' is not delegated to {v2_base} "
                    "(start the judge in its own delegated scope: "
                    "`systemd-run --user --scope -p Delegate=yes quizzer ...`)"
                )
            bases.update({c: v2_base for c in want if c not in missing})
            if bases:
                return CgroupSupport(2, bases, tuple(problems))
    if not v1 and not v2:
        problems.append("no cgroup file system is mounted")
    return CgroupSupport(None, {}, tuple(problems))


#: The name of a run's group: the judge's pid, then a counter (see `JobCgroup`).
GROUP_NAME = re.compile(r"quizzer-(\d+)-\d+")


def remove_stale(support: CgroupSupport) -> list[Path]:
    """Remove the run groups that judges no longer running left behind (a judge that
    was killed never removes its own; its warm parent normally does). Only empty
    groups go (rmdir refuses the others), and never those of a live judge."""
    removed = []
    for base in sorted(set(support.bases.values()), key=str):
        try:
            entries = list(base.iterdir())
        except OSError:
            continue
        for group in entries:
            found = GROUP_NAME.fullmatch(group.name)
            if not found or os.path.exists(f"/proc/{found.group(1)}"):
                continue
            with contextlib.suppress(OSError):
                group.rmdir()
                removed.append(group)
    return removed


class JobCgroup:
    """One run's cgroup(s): created with limits, joined by the run's keeper, emptied
    and removed by `destroy()`."""

    def __init__(self, support: CgroupSupport, limits: Limits, cpus: float = 1.0) -> None:
        self.version = support.version
        name = f"quizzer-{os.getpid()}-{next(_counter)}"
        self.dirs: dict[str, Path] = {}
        try:
            for c, base in support.bases.items():
                d = base / name
                if d not in self.dirs.values():
                    d.mkdir()
                self.dirs[c] = d
            self.limit(limits, cpus)
        except OSError:
            self.destroy()
            raise

    @property
    def procs_files(self) -> list[str]:
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def _write(self, c: str, name: str, value: str, optional: bool = False) -> None:
        path = self.dirs[c] / name
        if optional and not path.exists():
            return
        path.write_text(value)

    def limit(self, limits: Limits, cpus: float = 1.0) -> None:
        """Set the group's memory, pids and CPU limits (again, for a run made ready
        before its limits were known)."""
        mem = limits.memory_mb << 20
        period = 100_000
        quota = int(period * cpus)
        if self.version == 1:
            if "memory" in self.dirs:
                self._write("memory", "memory.limit_in_bytes", str(mem))
                self._write("memory", "memory.memsw.limit_in_bytes", str(mem), optional=True)
            if "pids" in self.dirs:
                self._write("pids", "pids.max", str(limits.processes))
            if "cpu" in self.dirs:
                self._write("cpu", "cpu.cfs_period_us", str(period))
                self._write("cpu", "cpu.cfs_quota_us", str(quota))
        else:
            if "memory" in self.dirs:
                self._write("memory", "memory.max", str(mem))
                self._write("memory", "memory.swap.max", "0", optional=True)
            if "pids" in self.dirs:
                self._write("pids", "pids.max", str(limits.processes))
            if "cpu" in self.dirs:
                self._write("cpu", "cpu.max", f"{quota} {period}")

    def _counter_value(self, c: str, filename: str, key: str) -> int:
        if c not in self.dirs:
            return 0
        try:
            for line in (self.dirs[c] / filename).read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def oom_killed(self) -> bool:
        """The memory limit made the kernel kill a process of the run."""
        if self.version == 1:
            return self._counter_value("memory", "memory.oom_control", "oom_kill") > 0
        return self._counter_value("memory", "memory.events", "oom_kill") > 0

    def pids_exhausted(self) -> bool:
        """A fork or thread start of the run was refused by the process limit."""
        return self._counter_value("pids", "pids.events", "max") > 0

    def cpu_seconds(self) -> float | None:
        """CPU time used by the whole run, where the CPU controller tells."""
        if self.version == 2 and "cpu" in self.dirs:
            return self._counter_value("cpu", "cpu.stat", "usage_usec") / 1e6
        return None

    def _pids(self) -> set[int]:
        pids: set[int] = set()
        for f in self.procs_files:
            with contextlib.suppress(OSError, ValueError):
                pids.update(int(p) for p in Path(f).read_text().split())
        return pids

    def kill(self) -> None:
        """SIGKILL every process in the group (cgroup.kill where the kernel has it)."""
        if self.version == 2:
            d = next(iter(self.dirs.values()), None)
            if d is not None and (d / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    (d / "cgroup.kill").write_text("1")
        deadline = time.monotonic() + 1.0
        pause = 0.0002  # a killed process is usually gone within a millisecond
        while time.monotonic() < deadline:
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(pause)
            pause = min(pause * 2, 0.005)

    def alive(self) -> set[int]:
        return self._pids()

    def destroy(self) -> None:
        """Kill what is left and remove the group (rmdir waits for exiting tasks)."""
        self.kill()
        for d in sorted(set(self.dirs.values()), key=str):
            for _ in range(400):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY:
                        break
                    self.kill()
                    time.sleep(0.005)

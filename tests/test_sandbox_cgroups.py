"""cgroup detection and per-run limits on v1 and v2 layouts. Fake hierarchies (plain
folders with the control files) stand in for /sys/fs/cgroup so that both versions
are tested on any machine; one test uses the real hierarchy where this machine has one."""

from __future__ import annotations

from quizzer.bank.models import Limits
from quizzer.judge.sandbox import cgroups

LIMITS = Limits(memory_mb=300, processes=20)


def fake(monkeypatch, mounts, own):
    monkeypatch.setattr(cgroups, "_mounts", lambda: mounts)
    monkeypatch.setattr(cgroups, "_own_paths", lambda: own)


def test_v1_limits_are_written_per_controller(tmp_path, monkeypatch):
    for c in ("memory", "pids", "cpu"):
        (tmp_path / c / "judge").mkdir(parents=True)
    mounts = [(str(tmp_path / c), "cgroup", {"rw", c}) for c in ("memory", "pids", "cpu")]
    fake(monkeypatch, mounts, {"memory": "/judge", "pids": "/judge", "cpu": "/judge", "": "/"})

    support = cgroups.detect()
    assert support.version == 1 and set(support.bases) == {"memory", "pids", "cpu"}
    job = cgroups.JobCgroup(support, LIMITS)
    try:
        mem = job.dirs["memory"]
        assert mem.parent == tmp_path / "memory/judge"
        assert (mem / "memory.limit_in_bytes").read_text() == str(300 << 20)
        assert (job.dirs["pids"] / "pids.max").read_text() == "20"
        assert (job.dirs["cpu"] / "cpu.cfs_quota_us").read_text() == "100000"
        assert sorted(job.procs_files) == sorted(str(d / "cgroup.procs") for d in job.dirs.values())
        (job.dirs["pids"] / "pids.events").write_text("max 3\n")
        (mem / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        assert job.pids_exhausted() and job.oom_killed()
    finally:
        for d in job.dirs.values():
            for f in d.iterdir():
                f.unlink()
        job.destroy()
    assert not any(d.exists() for d in job.dirs.values())


def test_v2_delegates_controllers_then_limits_one_group(tmp_path, monkeypatch):
    base = tmp_path / "user.slice/judge.scope"
    base.mkdir(parents=True)
    (base / "cgroup.controllers").write_text("cpu memory pids io\n")
    (base / "cgroup.subtree_control").write_text("")
    fake(monkeypatch, [(str(tmp_path), "cgroup2", {"rw"})], {"": "/user.slice/judge.scope"})

    support = cgroups.detect()
    assert support.version == 2 and set(support.bases) == {"memory", "pids", "cpu"}
    assert "+memory" in (base / "cgroup.subtree_control").read_text()
    job = cgroups.JobCgroup(support, LIMITS)
    d = job.dirs["memory"]
    assert job.procs_files == [str(d / "cgroup.procs")]
    assert (d / "memory.max").read_text() == str(300 << 20)
    assert (d / "pids.max").read_text() == "20"
    assert (d / "cpu.max").read_text() == "100000 100000"
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n")
    assert job.oom_killed() and not job.pids_exhausted()


def test_v2_moves_the_judges_own_processes_into_a_leaf_to_delegate(tmp_path, monkeypatch):
    """cgroup v2's "no internal processes" rule: a group with members of its own cannot
    hand controllers to children, so its processes move into a leaf first."""
    import errno

    base = tmp_path / "ci.scope"
    base.mkdir()
    (base / "cgroup.controllers").write_text("cpu memory pids\n")
    (base / "cgroup.subtree_control").write_text("")
    (base / "cgroup.procs").write_text("101\n102\n")
    fake(monkeypatch, [(str(tmp_path), "cgroup2", {"rw"})], {"": "/ci.scope"})
    real_delegate = cgroups._delegate

    def delegate(group, controllers):  # as the kernel: EBUSY while the group has members
        if (group / "cgroup.procs").read_text().split():
            raise OSError(errno.EBUSY, "Device or resource busy")
        real_delegate(group, controllers)

    def join(group, pid):  # as the kernel: a process is in exactly one group
        left = (base / "cgroup.procs").read_text().split()
        (base / "cgroup.procs").write_text("\n".join(p for p in left if p != pid))
        with open(group / "cgroup.procs", "a") as fh:
            fh.write(pid + "\n")

    monkeypatch.setattr(cgroups, "_delegate", delegate)
    monkeypatch.setattr(cgroups, "_join", join)
    support = cgroups.detect()
    assert support.version == 2 and set(support.bases) == {"memory", "pids", "cpu"}
    assert (base / cgroups.LEAF / "cgroup.procs").read_text().split() == ["101", "102"]
    assert "+memory" in (base / "cgroup.subtree_control").read_text()


def _kernel_delegate(group, controllers):
    """As the kernel: enabling a controller in a group's subtree makes it available
    to each child group."""
    enabled = set((group / "cgroup.subtree_control").read_text().split())
    (group / "cgroup.subtree_control").write_text(" ".join(sorted(enabled | set(controllers))))
    for child in group.iterdir():
        if child.is_dir():
            have = set((child / "cgroup.controllers").read_text().split())
            (child / "cgroup.controllers").write_text(" ".join(sorted(have | set(controllers))))


def test_v2_enables_controllers_down_the_ancestors_where_it_may(tmp_path, monkeypatch):
    """A group whose parent hands it only some controllers: root (the mount point) and
    each ancestor enable the rest for their subtree, then the judge's group can."""
    base = tmp_path / "service/judge"
    base.mkdir(parents=True)
    for group, have in ((tmp_path, "cpu memory pids"), (base.parent, "memory"), (base, "memory")):
        (group / "cgroup.controllers").write_text(have)
        (group / "cgroup.subtree_control").write_text("memory" if group != base else "")
    fake(monkeypatch, [(str(tmp_path), "cgroup2", {"rw"})], {"": "/service/judge"})
    monkeypatch.setattr(cgroups, "_delegate", _kernel_delegate)
    support = cgroups.detect()
    assert set(support.bases) == {"memory", "pids", "cpu"}, support.problems
    assert {"pids", "cpu"} <= set((base.parent / "cgroup.subtree_control").read_text().split())


def test_v2_a_judge_already_in_the_leaf_uses_the_group_above(tmp_path, monkeypatch):
    base = tmp_path / "ci.scope"
    (base / cgroups.LEAF).mkdir(parents=True)
    (base / "cgroup.controllers").write_text("cpu memory pids")
    (base / "cgroup.subtree_control").write_text("cpu memory pids")
    fake(monkeypatch, [(str(tmp_path), "cgroup2", {"rw"})], {"": f"/ci.scope/{cgroups.LEAF}"})
    support = cgroups.detect()
    assert set(support.bases) == {"memory", "pids", "cpu"}
    assert support.bases["memory"] == base


def test_v2_without_delegated_controllers_says_how_to_get_them(tmp_path, monkeypatch):
    base = tmp_path / "session.scope"
    base.mkdir()
    (base / "cgroup.controllers").write_text("cpu\n")
    (base / "cgroup.subtree_control").write_text("")
    fake(monkeypatch, [(str(tmp_path), "cgroup2", {"rw"})], {"": "/session.scope"})
    support = cgroups.detect()
    assert not support.has("memory") and not support.has("pids") and support.has("cpu")
    assert any("memory" in p and "Delegate=yes" in p for p in support.problems)


def test_no_cgroup_mounts_at_all(monkeypatch):
    fake(monkeypatch, [], {"": "/"})
    support = cgroups.detect()
    assert support.version is None and not support.bases
    assert "no cgroup file system is mounted" in support.problems


def test_the_real_hierarchy_limits_a_real_group():
    support = cgroups.detect()
    if not (support.has("memory") and support.has("pids")):
        assert support.problems, "a machine without usable cgroups must say why"
        return
    job = cgroups.JobCgroup(support, LIMITS)
    try:
        assert job.alive() == set()
        assert not job.oom_killed() and not job.pids_exhausted()
    finally:
        job.destroy()
    assert not any(d.exists() for d in job.dirs.values())

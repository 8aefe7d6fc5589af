"""Kernel calls that confine one forked run: join a bubblewrap sandbox's namespaces,
drop privileges and capabilities, set rlimits, and load a seccomp filter.

Standalone on purpose (standard library and ctypes only, never quizzer or torch): the
warm parent (`zygote.py`) loads this file by path, on the host for the process sandbox
and inside the container for the Docker sandbox. Python 3.11 has no `os.setns`, so the
few calls the standard library lacks go through libc (and libseccomp when present).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import resource
import signal

_libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACES = {
    "user": CLONE_NEWUSER,
    "mnt": CLONE_NEWNS,
    "pid": CLONE_NEWPID,
    "net": CLONE_NEWNET,
    "ipc": CLONE_NEWIPC,
    "uts": CLONE_NEWUTS,
    "cgroup": CLONE_NEWCGROUP,
}

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def die_with_parent() -> None:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


NS_GET_USERNS = 0xB701  # ioctl on a namespace fd: the user namespace that owns it


def join_namespaces(pid: int, names: list[str]) -> None:
    """setns() into the namespaces of `pid`. With "user" in `names`, first joins the
    user namespace that owns the mount namespace (for its capabilities), then the
    others, and last the user namespace `pid` itself runs in: unprivileged bubblewrap
    nests a second one (uid 0 inside for /dev/pts, then the real uid). Refuses a
    namespace that is the caller's own, so a sandbox that is not set up is never
    mistaken for one."""
    fds: dict[str, int] = {}
    try:
        for name in names:
            fds[name] = os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)
            if os.fstat(fds[name]).st_ino == os.stat(f"/proc/self/ns/{name}").st_ino:
                raise OSError(errno.EINVAL, f"namespace {name} of {pid} is the judge's own")
        order = [n for n in names if n != "user"]
        if "user" in fds:
            owner = _check(_libc.ioctl(fds["mnt"], NS_GET_USERNS), "ioctl(NS_GET_USERNS)")
            fds["owner"] = owner
            _check(_libc.setns(owner, CLONE_NEWUSER), "setns(user owning the mounts)")
        for name in order:
            _check(_libc.setns(fds[name], NAMESPACES[name]), f"setns({name})")
        if "user" in fds and os.fstat(fds["user"]).st_ino != os.fstat(fds["owner"]).st_ino:
            _check(_libc.setns(fds["user"], CLONE_NEWUSER), "setns(user)")
    finally:
        for fd in fds.values():
            os.close(fd)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Empty the bounding, ambient, effective, permitted and inheritable sets."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) < 0:
            if ctypes.get_errno() == errno.EINVAL:  # past the last capability
                break
            _check(-1, f"drop capability {cap} from the bounding set")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def become(uid: int, gid: int) -> None:
    """Switch to an unprivileged uid/gid for good (root path); clears capabilities."""
    drop_bounding_only = os.geteuid() == 0
    if drop_bounding_only:
        for cap in range(64):
            if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) < 0:
                break
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.geteuid() == 0 or os.getegid() == 0:
        raise OSError(errno.EPERM, "could not leave uid/gid 0")


#: Open files per process of a run. The kernel's file table is shared by the whole
#: host: without this, one run (64 processes x the inherited 20000) held half of it
#: and innocent runs beside it failed. torch and the worker need a few dozen.
RUN_NOFILE = 256
#: Signals queued to a run's processes. Counted per user, and every run is the same
#: user: a low cap keeps one run from pinning kernel memory (and the queue of every
#: other process of that uid whose own cap is higher).
RUN_SIGPENDING = 128


def set_rlimits(limits: dict, address_space: int | None = None) -> None:
    """Per-process limits for the run (cgroups, where present, limit the whole run)."""
    cpu = max(1, int(limits["cpu_s"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    fsize = int(limits["file_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (RUN_NOFILE, RUN_NOFILE))
    resource.setrlimit(resource.RLIMIT_SIGPENDING, (RUN_SIGPENDING, RUN_SIGPENDING))
    # No POSIX message queues at all: they outlive the process that made them (in the
    # Docker container's shared IPC namespace, until the reset) and nothing needs them.
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
    if limits.get("nproc"):
        # Counted per uid (per user namespace since Linux 5.14) and ignored for uid 0:
        # only a fallback where no pids cgroup counts the run's own processes.
        nproc = int(limits["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if address_space:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    # Python ignores SIGXFSZ; the default action makes a too-large file a visible kill.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def vm_size() -> int:
    """This process's current virtual memory size in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


# --- seccomp ---------------------------------------------------------------------

#: System calls a submission has no use for and that widen the kernel's attack surface:
#: new namespaces, mounts, tracing other processes, eBPF, keyrings, io_uring, modules.
DENIED_SYSCALLS = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "ptrace",
    "process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
    "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "open_by_handle_at", "name_to_handle_at",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "fsopen", "fsconfig",
    "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "uselib",
    # Per-user kernel tables that every run shares (all runs are one uid): inotify
    # instances and watches, fanotify groups.
    "inotify_init", "inotify_init1", "inotify_add_watch", "fanotify_init",
)  # fmt: skip
#: fcntl() commands that take byte-range locks: one open file can hold any number of
#: them, in kernel memory no limit counts (RLIMIT_LOCKS is not enforced by Linux).
#: flock() stays: one lock per open file, so RLIMIT_NOFILE bounds it.
DENIED_FCNTL = (6, 7, 37, 38)  # F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW
NEW_NAMESPACE_FLAGS = tuple(NAMESPACES.values())
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
SCMP_CMP_MASKED_EQ = 7


def _errno_action(err: int) -> int:
    return 0x00050000 | (err & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


@functools.lru_cache(maxsize=1)
def _libseccomp():
    """libseccomp, loaded once (by the warm parent, before any fork)."""
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp),
    ]  # fmt: skip
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def seccomp_available() -> bool:
    return _libseccomp() is not None


def load_seccomp() -> None:
    """Deny `DENIED_SYSCALLS`, byte-range fcntl locks (`DENIED_FCNTL`) and
    namespace-creating clone() flags with EPERM; clone3 gets ENOSYS (its flags cannot
    be inspected) so libc falls back to clone. Calls made through a foreign
    architecture's ABI are killed (libseccomp's default)."""
    lib = _libseccomp()
    if lib is None:
        raise OSError(errno.ENOSYS, "libseccomp is not installed")
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    try:
        deny = _errno_action(errno.EPERM)
        for name in DENIED_SYSCALLS:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr >= 0:
                _check(lib.seccomp_rule_add_array(ctx, deny, nr, 0, None), f"seccomp {name}")
        clone3 = lib.seccomp_syscall_resolve_name(b"clone3")
        if clone3 >= 0:
            _check(
                lib.seccomp_rule_add_array(ctx, _errno_action(errno.ENOSYS), clone3, 0, None),
                "seccomp clone3",
            )
        fcntl = lib.seccomp_syscall_resolve_name(b"fcntl")
        for cmd in DENIED_FCNTL if fcntl >= 0 else ():
            cmp = (_ArgCmp * 1)(_ArgCmp(1, SCMP_CMP_EQ, cmd, 0))
            _check(lib.seccomp_rule_add_array(ctx, deny, fcntl, 1, cmp), "seccomp fcntl")
        clone = lib.seccomp_syscall_resolve_name(b"clone")
        for flag in NEW_NAMESPACE_FLAGS:
            cmp = (_ArgCmp * 1)(_ArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag))
            _check(lib.seccomp_rule_add_array(ctx, deny, clone, 1, cmp), "seccomp clone")
        _check(lib.seccomp_load(ctx), "seccomp_load")
    finally:
        lib.seccomp_release(ctx)

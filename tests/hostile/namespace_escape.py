"""Tries to make new namespaces, mount, ptrace and load eBPF through libc. Expect every
call refused (seccomp, no capabilities) and the run failed."""
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
results = []
for name, call in (
    ("unshare(user)", lambda: libc.unshare(0x10000000)),
    ("unshare(mount)", lambda: libc.unshare(0x00020000)),
    ("mount tmpfs", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
    ("ptrace attach 1", lambda: libc.ptrace(16, 1, None, None)),
    ("chroot", lambda: libc.chroot(b"/tmp")),
    ("setuid 0", lambda: libc.setuid(0)),
):
    rc = call()
    results.append(f"{name}: {'OK' if rc == 0 else os.strerror(ctypes.get_errno())}")
raise SystemExit("escape: " + "; ".join(results))

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

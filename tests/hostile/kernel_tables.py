"""Fills per-user kernel tables that every run shares (all runs are one uid): inotify
instances, byte-range file locks, POSIX message queues, queued real-time signals.
Each attempt is small (this file must not harm the machine that tests it). Expect
every one refused or held to a small cap, and the run failed."""
import ctypes
import fcntl
import os
import signal

libc = ctypes.CDLL(None, use_errno=True)
held, got = [], []

fd = libc.inotify_init1(0)
(held if fd < 0 else got).append(f"inotify: {os.strerror(ctypes.get_errno()) if fd < 0 else fd}")

with open("/tmp/quizzer-locks", "w") as fh:
    fh.write("x" * 64)
    try:
        for start in range(0, 64, 2):  # separate ranges: one lock each
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, start)
        got.append("byte-range locks: 32 taken")
    except OSError as exc:
        held.append(f"byte-range locks: {exc.strerror}")

libc.mq_open.restype = ctypes.c_int
mq = libc.mq_open(b"/quizzer-hostile", os.O_CREAT | os.O_RDWR, 0o600, None)
(held if mq < 0 else got).append(f"mq_open: {os.strerror(ctypes.get_errno()) if mq < 0 else mq}")

sig = signal.SIGRTMIN
signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
queued = 0
while queued < 1000 and libc.sigqueue(os.getpid(), sig, ctypes.c_void_p(0)) == 0:
    queued += 1
(held if queued < 1000 else got).append(f"queued signals: {queued}")

verdict = "kernel tables held" if not got else "kernel tables open"
raise SystemExit(f"{verdict}: {'; '.join(held + got)}")

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

"""Tries to kill its parent, its process group, and every process it can signal.
Expect the judge to survive and the run to fail."""
import os
import signal

for target in (os.getppid(), 1, 0):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
for pid in range(2, 4096):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
raise SystemExit("still here")

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

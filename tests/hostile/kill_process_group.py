"""Signals its own process group and session with SIGTERM then SIGKILL. Expect only
itself to die, and the judge to report a failure."""
import os
import signal

os.killpg(os.getpgid(0), signal.SIGTERM)
os.killpg(os.getpgid(0), signal.SIGKILL)

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

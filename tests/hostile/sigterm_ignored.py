"""Ignores every signal it can, then sleeps. Expect the wall limit (SIGKILL ends it)."""
import signal
import time

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)
while True:
    time.sleep(1)

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

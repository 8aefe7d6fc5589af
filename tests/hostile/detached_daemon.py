"""Starts detached processes that try to outlive the run: a new-session subprocess and
a double-forked daemon, both marked "quizzer-hostile" on their command line. Expect
none of them alive after the run."""
import os
import subprocess
import sys
import time

code = "import time\nwhile True: time.sleep(0.05)"
subprocess.Popen([sys.executable, "-c", code, "quizzer-hostile-daemon"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", code, "quizzer-hostile-double-fork"])
    os._exit(0)
time.sleep(0.2)
raise SystemExit("daemons started")

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

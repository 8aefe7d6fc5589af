"""Writes garbage to every open fd it can find (the reply channel included), GiBs of
it. Expect the output limit or a garbled reply, never a pass."""
import os

block = b"QZJ1" + b"\xff" * (1 << 20)
fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
for _ in range(4096):
    for fd in fds:
        try:
            os.write(fd, block)
        except OSError:
            pass

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

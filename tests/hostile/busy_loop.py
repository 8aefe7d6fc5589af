"""Burns CPU forever. Expect the CPU-time limit (it is below the wall limit)."""
while True:
    pass

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

"""Burns CPU forever. Expect the CPU-time limit (it is below the wall limit)."""
while True:
    pass

"""Lifts the recursion limit and recurses until the C stack overflows. Expect a
crash, reported as a failure, not a hang."""
import sys

sys.setrecursionlimit(10**8)


def down(n):
    return down(n + 1) + 1


down(0)

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.

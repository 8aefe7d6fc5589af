"""Lifts the recursion limit and recurses until the C stack overflows. Expect a
crash, reported as a failure, not a hang."""
import sys

sys.setrecursionlimit(10**8)


def down(n):
    return down(n + 1) + 1


down(0)

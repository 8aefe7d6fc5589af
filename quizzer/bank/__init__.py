"""The question bank: YAML -> typed, immutable models; validation; grading of concept
answers. Imports neither torch, textual nor typer.

The contract other parts code against:

    from quizzer.bank import Bank, load_bank, validate_paths, Problem, Location
    from quizzer.bank.grading import grade, Grade
"""

from quizzer.bank.loader import Bank, Location, load_bank, validate_paths
from quizzer.bank.problems import BankProblemError, Problem

__all__ = ["Bank", "BankProblemError", "Location", "Problem", "load_bank", "validate_paths"]

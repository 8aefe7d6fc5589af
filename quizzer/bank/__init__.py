"""The question bank: YAML -> typed, immutable models; validation; grading of concept
answers. Imports neither torch, textual nor typer.

The contract other parts code against:

    from quizzer.bank import Bank, load_bank, validate_paths, Problem, Location
    from quizzer.bank.grading import grade, Grade
"""

from __future__ import annotations

from typing import Any

__all__ = ["Bank", "BankProblemError", "Location", "Problem", "load_bank", "validate_paths"]

_FROM = {
    "Bank": "loader",
    "Location": "loader",
    "load_bank": "loader",
    "validate_paths": "loader",
    "BankProblemError": "problems",
    "Problem": "problems",
}


def __getattr__(name: str) -> Any:
    """The contract's names, imported on first use: importing one light submodule
    (`quizzer.bank.problems`, say) must not load the models and the loader."""
    if name in _FROM:
        import importlib

        return getattr(importlib.import_module(f"quizzer.bank.{_FROM[name]}"), name)
    raise AttributeError(f"module 'quizzer.bank' has no attribute {name!r}")

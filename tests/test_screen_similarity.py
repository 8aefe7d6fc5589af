"""Winnowing finds copies however they are renamed or reformatted, and does not confuse
two honest solutions of the same task."""

from __future__ import annotations

from quizzer.screen.similarity import REFERENCE, THRESHOLD, find_matches, fingerprints, similarity

ORIGINAL = """
import torch
from torch import nn


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        hidden = torch.relu(self.fc1(x))
        return self.fc2(hidden)
"""

# The same program: new names, comments, other layout and quotes.
DISGUISED = """
import torch
from torch import nn

# my own work
class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer_a = nn.Linear(10,   32)   # in
        self.layer_b = nn.Linear(32, 3)      # out
    def forward(self, inputs):
        h = torch.relu(self.layer_a(inputs))
        return self.layer_b(h)
"""

# Another honest solution: Sequential, another activation, a different structure.
DIFFERENT = """
import torch.nn as nn


class SimpleNN(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(10, hidden), nn.Tanh(), nn.Dropout(0.1),
            nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 3),
        )

    def forward(self, x):
        if x.dim() != 2:
            raise ValueError("expected (batch, 10)")
        return self.net(x)
"""


def test_a_renamed_reformatted_copy_is_as_good_as_identical():
    assert similarity(fingerprints(ORIGINAL), fingerprints(DISGUISED)) >= THRESHOLD


def test_different_solutions_are_not_flagged():
    assert similarity(fingerprints(ORIGINAL), fingerprints(DIFFERENT)) < 0.5


def test_matches_are_listed_from_each_side_and_against_the_reference():
    files = {"simple-nn": {"ann": ORIGINAL, "ben": DISGUISED, "cat": DIFFERENT, "dan": ORIGINAL}}
    found = {(m.candidate, m.other): m for m in find_matches(files, {"simple-nn": ORIGINAL})}
    assert found[("ann", "dan")].identical and found[("dan", "ann")].identical
    assert not found[("ann", "ben")].identical and ("ben", "ann") in found
    assert found[("ann", REFERENCE)].identical
    assert found[("ben", REFERENCE)].describe().startswith("simple-nn: ")
    assert not any("cat" in pair for pair in found)


def test_a_file_that_does_not_tokenize_still_matches_its_copy():
    broken = "def f(:\n    return 'unterminated\n"
    assert similarity(fingerprints(broken), fingerprints(broken)) == 1.0

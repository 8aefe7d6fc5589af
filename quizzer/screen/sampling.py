"""Deterministic per-candidate choices: which questions a draw picks, the order of a
shuffled section, and the seed the judge uses for a candidate's task.

Called by `quizzer.screen.paper` and `quizzer.screen.grader`. Every choice is a
SHA-256 of the screen seed, the candidate id and what is being chosen, so it is the same
on every machine and every Python version (Python's `hash()` is salted per process and
`random`'s algorithms are not promised to stay the same, so neither is used).
Ranking each question by its own digest also means that adding a question to the bank
changes a draw only where the new question ranks high enough to get in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from quizzer.errors import UsageError

CANDIDATE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


def check_candidate(candidate: str) -> str:
    """The candidate id in its one normal form, lower case (GitHub logins and e-mail
    addresses ignore case, so `AliceSmith` and `alicesmith` are one candidate, with
    one paper and one judge seed), if it can name a folder and a JUnit suite; a usage
    error else. Every id that enters quizzer goes through here."""
    if not CANDIDATE_PATTERN.match(candidate) or ".." in candidate:
        raise UsageError(
            f"candidate id {candidate!r} is not usable: use up to 100 letters, digits and "
            "'.', '_', '@', '+', '-', starting with a letter or digit (e.g. a GitHub login)"
        )
    return candidate.lower()


def digest(*parts: object) -> bytes:
    """SHA-256 of the parts, each written as text and separated unambiguously."""
    h = hashlib.sha256()
    for part in parts:
        data = str(part).encode("utf-8")
        h.update(len(data).to_bytes(4, "big"))
        h.update(data)
    return h.digest()


def ranked(ids: Iterable[str], *key: object) -> list[str]:
    """`ids` ordered by the digest of (`key`..., id): a stable, per-key permutation."""
    return sorted(ids, key=lambda qid: (digest(*key, qid), qid))


def draw(pool: Iterable[str], count: int, *key: object) -> list[str]:
    """The `count` ids of `pool` that rank first under `key`."""
    return ranked(pool, *key)[:count]


def judge_seed(screen_seed: int | str, candidate: str, task_id: str) -> int:
    """The judge's seed for one candidate's task: fixed, so that a re-run gives the
    same inputs and the same score, and different for every candidate and task."""
    return int.from_bytes(digest("judge", screen_seed, candidate, task_id)[:4], "big") & 0x7FFFFFFF

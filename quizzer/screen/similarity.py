"""Similar solution files: the same task's files of different candidates that are
identical or nearly so, and files that match the task's reference solution.

Called by the grader after a batch (`screen grade --candidates`); the pairs it finds
go into the reviewer's results and the leaderboard, never the candidate's view. A
flag is a reason to look, not a verdict: short tasks have few ways to be right.

How: winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for
document fingerprinting", SIGMOD 2003), the method behind MOSS. Each file is read
with Python's own tokenizer; names, numbers and strings become placeholders and
comments, blank lines and layout vanish, so renaming variables or reformatting does
not hide a copy. The hashes of every run of K tokens are winnowed (the smallest in
each window of W), and two files are as similar as their sets of fingerprints overlap
(Jaccard). The standard library does all of it; `copydetect`, the maintained
packaged version of the same method, would bring numpy, matplotlib and jinja2 for an
HTML report this needs none of.
"""

from __future__ import annotations

import hashlib
import io
import keyword
import token
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass

#: Tokens per fingerprinted run, and runs per winnowing window: any shared run of at
#: least K + W - 1 tokens is guaranteed to be found.
K = 12
W = 6
#: Jaccard similarity of fingerprints from which a pair is flagged.
THRESHOLD = 0.8
_SKIP = {
    token.COMMENT,
    token.NL,
    token.NEWLINE,
    token.INDENT,
    token.DEDENT,
    token.ENCODING,
    token.ENDMARKER,
}


def normalised_tokens(source: str) -> list[str]:
    """The file's tokens with layout and comments gone and every name, number and
    string a placeholder (keywords kept). A file the tokenizer rejects gives its
    words, so that a broken copy of a broken file still matches."""
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIP:
                continue
            if tok.type == token.NAME and not keyword.iskeyword(tok.string):
                out.append("N")
            elif tok.type == token.NUMBER:
                out.append("0")
            elif tok.type == token.STRING or token.tok_name[tok.type].startswith("FSTRING"):
                out.append("S")
            else:
                out.append(tok.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return source.split()
    return out


def fingerprints(source: str) -> frozenset[int]:
    """The winnowed hashes of `source`'s runs of K normalised tokens."""
    tokens = normalised_tokens(source)
    if len(tokens) < K:
        joined = " ".join(tokens)
        return frozenset({_hash(joined)}) if joined else frozenset()
    hashes = [_hash(" ".join(tokens[i : i + K])) for i in range(len(tokens) - K + 1)]
    if len(hashes) <= W:
        return frozenset({min(hashes)})
    return frozenset(min(hashes[i : i + W]) for i in range(len(hashes) - W + 1))


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Match:
    """Two files of one task that are alike: `other` is a candidate id, or
    "reference solution"."""

    task: str
    candidate: str
    other: str
    similarity: float
    identical: bool

    def describe(self) -> str:
        how = "identical to" if self.identical else f"{self.similarity:.0%} similar to"
        return f"{self.task}: {how} {self.other}"


REFERENCE = "the reference solution"


def find_matches(
    files: Mapping[str, Mapping[str, str]], references: Mapping[str, str]
) -> list[Match]:
    """`files`: task -> candidate -> source; `references`: task -> the reference
    solution's source. Every pair at THRESHOLD or above, from each candidate's side
    (so each candidate's report lists its own)."""
    found: list[Match] = []
    for task, by_candidate in files.items():
        prints = {c: fingerprints(src) for c, src in by_candidate.items()}
        digests = {c: hashlib.sha256(src.encode()).hexdigest() for c, src in by_candidate.items()}
        names = sorted(by_candidate)
        reference = references.get(task)
        ref_print = fingerprints(reference) if reference is not None else None
        ref_digest = hashlib.sha256(reference.encode()).hexdigest() if reference else None
        for a in names:
            if ref_print is not None:
                score = similarity(prints[a], ref_print)
                if score >= THRESHOLD or digests[a] == ref_digest:
                    found.append(Match(task, a, REFERENCE, score, digests[a] == ref_digest))
            for b in names:
                if a == b:
                    continue
                score = similarity(prints[a], prints[b])
                same = digests[a] == digests[b]
                if score >= THRESHOLD or same:
                    found.append(Match(task, a, b, 1.0 if same else score, same))
    return found

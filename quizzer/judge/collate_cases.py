"""The collate check's inputs and what a correct solution returns for them, worked out
on the trusted side from the run's seed.

Called by `quizzer.judge.probes` (the request carries the sample lists) and by
`quizzer.judge.checks_collate` (the verdict compares with `expected`). Every length,
token, label, pad id and seed is drawn at run time, so a submission cannot be right
only for the examples a statement shows. Nothing here ever comes from the submission.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

from quizzer.bank.models import CollateSpec

#: The labels each sample carries: whole numbers in [0, LABELS).
LABELS = 10


@dataclass(frozen=True)
class Case:
    """One call: `collate_fn([(tokens[i], labels[i]) ...], pad_id, multiple)`."""

    what: str
    tokens: tuple[torch.Tensor, ...]
    labels: tuple[int, ...]
    pad_id: int
    multiple: int | None

    def describe(self) -> str:
        lengths = [len(t) for t in self.tokens]
        shown = ", ".join(map(str, lengths[:12])) + (", ..." if len(lengths) > 12 else "")
        return (
            f"{self.what}: {len(lengths)} samples of lengths [{shown}], pad_id={self.pad_id}, "
            f"pad_to_multiple_of={self.multiple}"
        )


@dataclass(frozen=True)
class SamplerCase:
    """The sampler's calls: `sampler(lengths, max_tokens, seed)` for each seed; the
    first two seeds are equal (the same batches, in the same order, are due)."""

    lengths: tuple[int, ...]
    max_tokens: int
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class Expected:
    tokens: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor

    def as_tuple(self) -> tuple[torch.Tensor, ...]:
        return (self.tokens, self.lengths, self.mask, self.labels)


#: The names and dtypes of the tuple a collate function returns, in order.
FIELDS = (
    ("tokens", torch.int64),
    ("lengths", torch.int64),
    ("mask", torch.bool),
    ("labels", torch.int64),
)


def padded_length(lengths: list[int], multiple: int | None) -> int:
    longest = max(lengths)
    return longest if multiple is None else math.ceil(longest / multiple) * multiple


def expected(case: Case, order: list[int] | None = None, side: str = "right") -> Expected:
    """What a correct collate function returns; `order` and `side` replay two
    mistakes (samples reordered, padding on the left) so a message can name them."""
    picked = list(range(len(case.tokens))) if order is None else order
    seqs = [case.tokens[i] for i in picked]
    lengths = [len(t) for t in seqs]
    width = padded_length(lengths, case.multiple)
    tokens = torch.full((len(seqs), width), case.pad_id, dtype=torch.int64)
    mask = torch.zeros((len(seqs), width), dtype=torch.bool)
    for row, seq in enumerate(seqs):
        where = slice(0, len(seq)) if side == "right" else slice(width - len(seq), width)
        tokens[row, where] = seq
        mask[row, where] = True
    return Expected(
        tokens,
        torch.tensor(lengths, dtype=torch.int64),
        mask,
        torch.tensor([case.labels[i] for i in picked], dtype=torch.int64),
    )


@functools.lru_cache(maxsize=32)
def cases(spec: CollateSpec, seed: int) -> tuple[Case, ...]:
    """The calls of one run, each probing one thing a collate function must get right."""
    gen = torch.Generator().manual_seed(seed * 2 + 5)
    n, top, multiple = spec.batch_size, spec.max_length, spec.multiple

    def draw(low: int, high: int) -> int:
        return int(torch.randint(low, high + 1, (1,), generator=gen))

    def case(what: str, lengths: list[int], pad_id: int, mult: int | None, vocab=None) -> Case:
        seqs = tuple(torch.randint(1, vocab or spec.vocab, (n,), generator=gen) for n in lengths)
        labels = tuple(draw(0, LABELS - 1) for _ in lengths)
        return Case(what, seqs, labels, pad_id, mult)

    def unsorted(lengths: list[int]) -> list[int]:
        """`lengths` in an order that is neither ascending nor descending."""
        if lengths == sorted(lengths) or lengths == sorted(lengths, reverse=True):
            lengths = [lengths[1], lengths[0], *lengths[2:]]
            if lengths == sorted(lengths, reverse=True):
                lengths = lengths[1:] + lengths[:1]
        return lengths

    def varied(count: int, one: bool = False) -> list[int]:
        lengths = [draw(2, top) for _ in range(count)]
        while len(set(lengths)) < 3:
            lengths = [draw(2, top) for _ in range(count)]
        if one:
            lengths[draw(1, count - 1)] = 1
        return unsorted(lengths)

    long = spec.long_length
    if long % multiple == 0:
        long += 1
    same = draw(2, top)
    round_up = max(2, top // multiple) * multiple  # already a multiple: no extra block
    out = [
        case("lengths drawn at random", varied(n), 0, None),
        case("one sample of length 1", varied(n, one=True), spec.vocab, multiple),
        case("every sample of one length", [same] * n, draw(1, spec.vocab - 1), None),
        case("one very long sample", unsorted([long, *varied(n - 1)]), 0, multiple),
        case("a batch of one", [draw(2, top)], 0, multiple),
        case("the longest already a multiple", unsorted([round_up, *varied(n - 1)]), 0, multiple),
    ]
    # pad_id is also a real token here (GPT-2 pads with its end-of-text token), so the
    # mask must come from the lengths, never from comparing tokens with pad_id
    shared = draw(1, spec.vocab - 1)
    mixed = case("pad_id also a real token", varied(n), shared, None)
    seqs = tuple(t.clone() for t in mixed.tokens)
    for t in seqs:
        t[draw(0, len(t) - 1)] = shared
    out.append(Case(mixed.what, seqs, mixed.labels, shared, None))
    return tuple(out)


@functools.lru_cache(maxsize=32)
def sampler_case(spec: CollateSpec, seed: int) -> SamplerCase:
    gen = torch.Generator().manual_seed(seed * 2 + 7)
    lengths = torch.randint(1, spec.max_length + 1, (spec.samples,), generator=gen)
    seeds = torch.randint(0, 2**31 - 1, (3,), generator=gen).tolist()
    return SamplerCase(tuple(lengths.tolist()), spec.max_tokens, (seeds[0], *seeds))


def greedy_padded(lengths: tuple[int, ...], max_tokens: int) -> int:
    """The padded tokens of bucketing by sorting the lengths and cutting greedily:
    the yardstick a sampler's grouping of similar lengths is held to."""
    total, batch = 0, 0
    longest = 0
    for length in sorted(lengths):
        if batch and (batch + 1) * length > max_tokens:
            total += batch * longest
            batch = 0
        batch, longest = batch + 1, length
    return total + batch * longest

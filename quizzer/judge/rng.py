"""The trusted side's one way to use torch's global random generator: layers draw their
initial weights from it, and only from it, so the judge builds a layer under a seed it
sets there. Judgements run in threads (`--workers`, the judge service, `bank verify`),
and two seeded blocks interleaving would each draw from the other's seed, so a seed
would no longer name the same inputs; `seeded` runs one such block at a time and
leaves the generator as it found it. So every draw from it on the trusted side goes
through `seeded`, also where the weights drawn are replaced at once (a layer built
only for its layout): such a draw in one thread would land in another's seeded block."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

_LOCK = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Torch's global CPU generator seeded with `seed`, for this block only, with no
    other thread's seeded block in between."""
    with _LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield

"""The sandboxed halves of the distribution and incremental checks (`DecodeChecks`, a
mixin of `checks.Job`). They only relay: the sampler's ids for the judge's logits and
generator seeds, and a cached module's outputs and caches, chunk by chunk, feeding
back the cache tensors the harness itself received. The judge computes the target
distribution and holds the outputs against the reference solution's.

Standalone: stdlib, torch and the sibling `remote.py` (and `checks.py`, by then
loaded, for the one rule that randomises a state).
"""

from __future__ import annotations

import sys
from typing import Any

import torch

try:
    from . import remote
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    remote = sys.modules["quizzer_worker_remote"]

_Tensor = torch.Tensor


def _randomised(got: dict, seed: int) -> dict:
    """The state in a `state` answer, randomised by `checks.perturb_tensors` (the rule
    the reference check uses)."""
    try:
        from . import checks
    except ImportError:
        checks = sys.modules["quizzer_worker_checks"]
    return checks._perturbed(got, seed)


def _relayed(answer: dict, fr: remote._Frames) -> dict:
    """One cached forward's answer as the judge gets it."""
    done: dict = {"pair": answer.get("pair") is True, "out": fr.put(answer.get("out"))}
    cache = answer.get("cache")
    if isinstance(cache, list) and len(cache) == 2:
        done["cache"] = [fr.put(t) for t in cache]
    elif "cache" in answer:
        done["cache"] = fr.put(cache)
    return done


def _pair(cache: Any) -> list | None:
    """The cache to hand back next: two plain tensors, or None (the run stops)."""
    if isinstance(cache, list) and len(cache) == 2 and all(type(t) is _Tensor for t in cache):
        return cache
    return None


class DecodeChecks:
    """Methods of `checks.Job` for sampling functions and cached attention modules."""

    remote: Any
    device: torch.device
    build: Any

    def check_distribution(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """Per case, three calls on a batch repeating the case's two logits rows
        `draws` times (row i is logits[i % 2]): a generator seeded with the case's
        seed; the same seed with the global RNG reseeded otherwise; the same generator
        again, as the second call left it."""
        data["cases"] = []
        for case in p["cases"]:
            logits = case["logits"].repeat(int(case["draws"]), 1)
            base = {
                "args": [logits, case["temperature"], case["top_k"], case["top_p"]],
                "generator_at": 4,
                "device": str(self.device),
            }
            first, second = case["global_seeds"]
            answers = self.remote.many(
                [
                    ("sample_call", {**base, "seed": case["seed"], "global_seed": first}),
                    ("sample_call", {**base, "seed": case["seed"], "global_seed": second}),
                    ("sample_call", {**base, "global_seed": first}),
                ]
            )
            changed = {i for a in answers for i in a.get("changed", []) if type(i) is int}
            data["cases"].append(
                {"draws": [fr.put(a["out"]) for a in answers], "changed": sorted(changed)}
            )

    def check_incremental(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """Per dtype, in eval mode with the judge's state: the whole sequence with no
        cache, then each schedule's chunks in turn, each with the cache the previous
        chunk returned. With "perturb" (the reference solution's own run) the state is
        made here and sent."""
        state = p.get("state")
        if p.get("perturb") is not None:
            got = self.remote("state", h=self.build())
            state = _randomised(got, int(p["perturb"]))
            data["state"] = {k: fr.put(v) for k, v in state.items()}
        data["runs"] = []
        for dtype in p["dtypes"]:
            h = self.build()
            self.remote.many(
                [
                    ("load_state", {"h": h, "state": state}),
                    ("to", {"h": h, "device": str(self.device), "dtype": dtype}),
                    ("mode", {"h": h, "train": False}),
                ]
            )
            x = p["x"].to(getattr(torch, dtype))
            rec: dict = {"dtype": dtype, "schedules": []}
            data["runs"].append(rec)
            rec["full"] = _relayed(self.remote("cached_forward", h=h, x=x, cache=None), fr)
            for schedule in p["schedules"]:
                chunks: list = []
                rec["schedules"].append(chunks)
                cache, start = None, 0
                for n in schedule:
                    answer = self.remote(
                        "cached_forward", h=h, x=x[:, start : start + int(n)], cache=cache
                    )
                    chunks.append(_relayed(answer, fr))
                    start += int(n)
                    cache = _pair(answer.get("cache"))
                    if cache is None:
                        break

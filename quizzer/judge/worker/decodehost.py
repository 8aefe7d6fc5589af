"""The model host's operations for the distribution and incremental checks
(`DecodeOps`, a mixin of `modelhost.Host`): `sample_call` calls a function entry with
plain arguments and a torch.Generator the harness seeds; `cached_forward` calls a
module with an input chunk and the cache the harness hands back. Like the rest of
the model host, nothing here is trusted: the harness relays the values, and the judge
compares them with the distribution it computes and the reference's outputs.

Standalone (stdlib + torch + the sibling file `observe.py`).
"""

from __future__ import annotations

import sys
from typing import Any

import torch

try:
    from . import observe
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    observe = sys.modules["quizzer_worker_observe"]

_STACK = observe._STACK
# taken before the submission runs, so that replacing them later changes nothing here
_Tensor, _Generator, _equal, _no_grad = torch.Tensor, torch.Generator, torch.equal, torch.no_grad


def _reseed(seed: int) -> None:
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_initialized():
        torch.cuda.manual_seed_all(seed)


class DecodeOps:
    """Operations of `modelhost.Host` that run a sampler or a cached forward."""

    obj: Any
    models: dict
    where: dict

    def op_sample_call(self, a: dict, fr) -> dict:
        """Calls the function entry once: `args` in order, with a torch.Generator on
        `device` inserted at `generator_at`: a fresh one seeded with `seed`, or (no
        seed) the one the last call got, in the state that call left it. The global
        RNG is reseeded with `global_seed` first. Answers the output and which tensor
        arguments the call changed."""
        device = torch.device(a["device"])
        args = [t.to(device) if type(t) is _Tensor else t for t in a["args"]]
        if a.get("seed") is not None:
            gen = _Generator(device=device)
            gen.manual_seed(int(a["seed"]))
            self.generator = gen
        args.insert(int(a["generator_at"]), self.generator)
        kept = {i: t.clone() for i, t in enumerate(args) if type(t) is _Tensor}
        _reseed(int(a["global_seed"]))
        _STACK.clear()
        with _no_grad():
            out = self.obj(*args)
        if device.type == "cuda":
            torch.cuda.synchronize()
        changed = [
            i
            for i, t in kept.items()
            if not (args[i].shape == t.shape and args[i].dtype == t.dtype and _equal(args[i], t))
        ]
        return {"out": fr.put(out), "changed": changed}

    def op_cached_forward(self, a: dict, fr) -> dict:
        """`model(x, cache)` for model `h`, where cache is None or the tuple of the
        tensors in `cache`; answers the output's elements (a description where the
        output is not a pair, or its cache not a pair of tensors)."""
        h = int(a["h"])
        model, device = self.models[h], self.where[h]
        x = a["x"].to(device)
        cache = None if a.get("cache") is None else tuple(t.to(device) for t in a["cache"])
        _STACK.clear()
        with _no_grad():
            out = model(x, cache)
        if device.type == "cuda":
            torch.cuda.synchronize()
        if not (isinstance(out, tuple) and len(out) == 2):
            return {"pair": False, "out": fr.put(out)}
        y, new = out
        done: dict = {"pair": True, "out": fr.put(y)}
        if isinstance(new, (tuple, list)) and len(new) == 2:
            done["cache"] = [fr.put(t) for t in new]
        else:
            done["cache"] = fr.put(new)
        return done

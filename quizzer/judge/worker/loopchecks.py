"""The sandboxed halves of the optimizer and resume checks (`LoopChecks`, a mixin of
`checks.Job`). Each drives two model hosts: the first runs the submission from the
judge's starting point and hands over what it saved (an optimiser's state_dict as
plain data, a checkpoint file in the run's scratch folder); the second, forked before
the request was read and so holding nothing of the first, starts from junk, loads
that, and carries on. The harness relays the values both send; the judge replays
the correct computation itself and decides.

Standalone: stdlib, torch and the sibling `remote.py`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

import torch

try:
    from . import remote as channel
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    channel = sys.modules["quizzer_worker_remote"]

HostError, _plain, _tensor = channel.HostError, channel._plain, channel._tensor


def relay(value: Any, fr: channel._Frames, depth: int = 0) -> Any:
    """A model host's answer as the judge gets it: tensors by reference, the rest as
    plain data."""
    if depth > 20:
        return None
    if type(value) is torch.Tensor:
        return fr.put(value)
    if isinstance(value, dict):
        return {str(k): relay(v, fr, depth + 1) for k, v in list(value.items())[:1000]}
    if isinstance(value, list):
        return [relay(v, fr, depth + 1) for v in value[:10000]]
    return _plain(value)


class LoopChecks:
    """`check_optimizer` and `check_resume`, for `checks.Job`."""

    remote: channel.Remote
    fresh: channel.Remote

    def _load_args(self) -> dict:  # provided by Job
        raise NotImplementedError

    def _fresh_host(self) -> channel.Remote:
        """The second model host, with the submission loaded."""
        self.fresh("load", **self._load_args(), forbidden=[])
        return self.fresh

    def check_optimizer(self, p: dict, fr: channel._Frames, data: dict) -> None:
        """Steps 1..N on the first host, saving the state_dict after step k; then a
        fresh optimiser (junk hyper-parameters) on the second host loads it, with the
        parameters the first host had after step k, and runs steps k+1..N."""
        common = {"grads": p["grads"], "closures": p["closures"], "stop": p["steps"]}
        first = self.remote(
            "optimizer_run",
            groups=p["groups"],
            defaults=p["defaults"],
            start=0,
            save=p["resume_at"],
            **common,
        )
        data["steps"] = relay(first.get("steps", []), fr)
        data["returned"] = relay(first.get("returned", []), fr)
        if "error" in first:
            raise HostError(_plain(first["error"]))
        k = int(p["resume_at"])
        at_k = [_tensor(t, "a parameter") for t in first["steps"][k - 1]]
        groups, at = [], 0
        for size in p["sizes"]:
            groups.append({"params": at_k[at : at + size], "options": {}})
            at += size
        second = self._fresh_host()(
            "optimizer_run",
            groups=groups,
            defaults=p["junk_defaults"],
            start=k,
            state=first["state"],
            **common,
        )
        data["resumed"] = relay(second.get("steps", []), fr)
        data["resumed_returned"] = relay(second.get("returned", []), fr)
        if "error" in second:
            raise HostError({**_plain(second["error"]), "resumed": True})

    def check_resume(self, p: dict, fr: channel._Frames, data: dict) -> None:
        """Epoch 1, evaluate, save_checkpoint and epoch 2 on the first host; on the
        second, junk objects and RNG state, load_checkpoint and epoch 2 again."""
        path = os.path.join(tempfile.mkdtemp(prefix="quizzer-ckpt-"), "checkpoint.pt")
        common = {"model": p["model"], "accum_steps": p["accum_steps"], "path": path}
        first = self.remote(
            "training_run",
            resume=False,
            state=p["state"],
            objects=p["objects"],
            seed=p["seed"],
            epochs=p["epochs"],
            eval=p["eval"],
            first_epoch=1,
            **common,
        )
        data["first"] = relay(first, fr)
        if "error" in first:
            raise HostError(_plain(first["error"]))
        if "missing" in first:
            return
        second = self._fresh_host()(
            "training_run",
            resume=True,
            build_seed=p["junk_build_seed"],
            objects=p["junk_objects"],
            seed=p["junk_seed"],
            epochs=p["epochs"][1:],
            first_epoch=2,
            **common,
        )
        data["resumed"] = relay(second, fr)
        if "error" in second:
            raise HostError({**_plain(second["error"]), "resumed": True})

"""Blobs <-> torch tensors, and JSON with tensor references, on the trusted side.

Called by `quizzer.judge.probes` (to pack a request) and `quizzer.judge.verdicts` (to
unpack a reply). Unpacking builds fresh plain `torch.Tensor`s from bytes the judge
has already size-checked (`quizzer.judge.wire`); a reference to a missing blob or a
blob used twice is an error, and a worker's note that it saw something that was not a
plain tensor becomes a `Foreign` value the checks reject with a clear message.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import torch

from quizzer.judge.wire import Blob, WireError


@dataclass(frozen=True)
class Foreign:
    """Where the submission gave something other than a plain tensor."""

    type_name: str
    subclass: bool

    def describe(self) -> str:
        if self.subclass:
            return f"{self.type_name} (a subclass of torch.Tensor; return a plain torch.Tensor)"
        return self.type_name


def to_blob(t: torch.Tensor) -> Blob:
    t = t.detach().cpu().contiguous()
    nbytes = t.numel() * t.element_size()
    data = ctypes.string_at(t.data_ptr(), nbytes) if nbytes else b""
    return Blob(str(t.dtype).removeprefix("torch."), tuple(t.shape), data)


def from_blob(blob: Blob) -> torch.Tensor:
    dtype = getattr(torch, blob.dtype)
    if blob.numel == 0:
        t = torch.empty(blob.shape, dtype=dtype)
    else:
        t = torch.frombuffer(bytearray(blob.data), dtype=dtype).reshape(blob.shape)
    if type(t) is not torch.Tensor or t.dtype != dtype or tuple(t.shape) != blob.shape:
        raise WireError("a tensor did not decode to the dtype and shape it declared")
    return t


def pack(obj: Any) -> tuple[Any, list[Blob]]:
    """`obj` with every tensor replaced by {"$t": i}, and the blobs in order."""
    blobs: list[Blob] = []

    def walk(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            blobs.append(to_blob(value))
            return {"$t": len(blobs) - 1}
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return value

    return walk(obj), blobs


def unpack(obj: Any, blobs: tuple[Blob, ...]) -> Any:
    """The inverse of `pack` for untrusted JSON: references become fresh tensors, the
    worker's {"$type": ...} notes become `Foreign`."""
    used: set[int] = set()

    def walk(value: Any, depth: int) -> Any:
        if depth > 32:
            raise WireError("reply nests deeper than any check needs")
        if isinstance(value, dict):
            if set(value) == {"$t"}:
                index = value["$t"]
                if type(index) is not int or not 0 <= index < len(blobs) or index in used:
                    raise WireError(f"bad tensor reference {index!r}")
                used.add(index)
                return from_blob(blobs[index])
            if set(value) == {"$type", "subclass"}:
                return Foreign(str(value["$type"])[:200], bool(value["subclass"]))
            return {k: walk(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, depth + 1) for v in value]
        return value

    return walk(obj, 0)

"""The judge's wire format on the trusted side: frames in, frames out, strictly.

Mirrors the format documented in `quizzer/judge/worker.py` (which must stay standalone
and so keeps its own copy; a test proves the two agree). A frame is
`b"QZJ1" | u32 header length | u64 body length | JSON header | body`; the header's
"tensors" list gives each blob's dtype and shape, and the body holds their raw bytes
back to back. Decoding never executes anything: it checks the magic, the caps, the
dtype whitelist and that shapes add up to exactly the body. No torch here; see
`quizzer.judge.tensors` for blobs <-> tensors.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

MAGIC = b"QZJ1"
PREFIX = struct.Struct(">4sIQ")

#: dtype name -> bytes per element. Anything else is refused.
ITEMSIZE = {
    "float16": 2,
    "bfloat16": 2,
    "float32": 4,
    "float64": 8,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
}
FLOAT_DTYPES = frozenset({"float16", "bfloat16", "float32", "float64"})

MAX_HEADER = 4 << 20
MAX_NDIM = 8
MAX_FRAMES = 64


class WireError(Exception):
    """Bytes that are not a well-formed frame sequence; the message says where."""


@dataclass(frozen=True)
class Blob:
    dtype: str
    shape: tuple[int, ...]
    data: bytes

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Frame:
    header: dict[str, Any]
    blobs: tuple[Blob, ...]


def encode_frame(header: dict[str, Any], blobs: list[Blob] | tuple[Blob, ...] = ()) -> bytes:
    specs = [[b.dtype, list(b.shape)] for b in blobs]
    head = json.dumps({**header, "tensors": specs}, allow_nan=True).encode()
    body = b"".join(b.data for b in blobs)
    return PREFIX.pack(MAGIC, len(head), len(body)) + head + body


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise WireError(f"duplicate key {key!r} in a frame header")
        out[key] = value
    return out


def _blob_specs(raw: Any, body_len: int) -> list[tuple[str, tuple[int, ...], int]]:
    if not isinstance(raw, list):
        raise WireError("frame header has no 'tensors' list")
    specs, total = [], 0
    for i, item in enumerate(raw):
        if not (isinstance(item, list) and len(item) == 2):
            raise WireError(f"tensor {i}: expected [dtype, shape]")
        dtype, shape = item
        if dtype not in ITEMSIZE:
            raise WireError(f"tensor {i}: dtype {dtype!r} is not allowed")
        if not isinstance(shape, list) or len(shape) > MAX_NDIM:
            raise WireError(f"tensor {i}: shape must be a list of at most {MAX_NDIM} sizes")
        if not all(type(d) is int and 0 <= d < 1 << 31 for d in shape):
            raise WireError(f"tensor {i}: shape {shape!r} has a size that is not a small integer")
        nbytes = math.prod(shape) * ITEMSIZE[dtype]
        total += nbytes
        if total > body_len:
            raise WireError(f"tensor {i}: shapes need more bytes than the frame's body holds")
        specs.append((dtype, tuple(shape), nbytes))
    if total != body_len:
        raise WireError(f"the frame's body has {body_len - total} bytes that no tensor claims")
    return specs


def decode_frame(data: bytes | memoryview, offset: int = 0) -> tuple[Frame, int]:
    """One frame starting at `offset`; returns it and the offset after it."""
    view = memoryview(data)
    if len(view) - offset < PREFIX.size:
        raise WireError(f"truncated frame at byte {offset}")
    magic, hlen, blen = PREFIX.unpack_from(view, offset)
    if magic != MAGIC:
        raise WireError(f"bytes at {offset} are not a frame (bad magic {bytes(magic)!r})")
    if hlen > MAX_HEADER:
        raise WireError(f"frame header of {hlen} bytes exceeds the {MAX_HEADER}-byte cap")
    start = offset + PREFIX.size
    end = start + hlen + blen
    if end > len(view):
        raise WireError(f"truncated frame at byte {offset}")
    try:
        header = json.loads(bytes(view[start : start + hlen]), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"frame header at byte {offset} is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise WireError(f"frame header at byte {offset} is not a JSON object")
    blobs, pos = [], start + hlen
    for dtype, shape, nbytes in _blob_specs(header.pop("tensors", None), blen):
        blobs.append(Blob(dtype, shape, bytes(view[pos : pos + nbytes])))
        pos += nbytes
    return Frame(header, tuple(blobs)), end


def decode_frames(data: bytes) -> tuple[list[Frame], str | None]:
    """All frames in `data`, and what went wrong after the last good one (None when
    the bytes end exactly after a frame)."""
    frames: list[Frame] = []
    offset = 0
    while offset < len(data):
        if len(frames) >= MAX_FRAMES:
            return frames, f"more than {MAX_FRAMES} frames"
        try:
            frame, offset = decode_frame(data, offset)
        except WireError as exc:
            return frames, str(exc)
        frames.append(frame)
    return frames, None

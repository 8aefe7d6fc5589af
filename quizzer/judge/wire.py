"""The judge's wire format on the trusted side: frames in, frames out, strictly.

Mirrors the format documented in `quizzer/judge/worker/harness.py` (which must stay
standalone and so keeps its own copy; a test proves the two agree). A frame is
`b"QZJ1" | u32 header length | u64 body length | JSON header | body`; the header's
"tensors" list gives each blob's dtype and shape, and the body holds their raw bytes
back to back. Decoding never executes anything: it checks the magic, the caps, the
dtype whitelist and that shapes add up to exactly the body. No torch here; see
`quizzer.judge.tensors` for blobs <-> tensors.

This is the one place where JSON from a sandbox enters the trusted side, so it is
bounded and cleaned here: a reply over `MAX_REPLY` is not read at all; a header must
fit `MAX_HEADER` and carry the run's nonce before it is parsed; the headers of one
reply share `MAX_HEADERS`; numbers must be int64 or finite floats; every string has
its lone surrogates replaced. See "Reply bounds" in docs/sandbox.md for the figures.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from quizzer.escaping import no_surrogates

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

#: A reply larger than this is refused unread (a bundled task's reference sends
#: under 1 MiB; the "none" sandbox keeps no more than this either).
MAX_REPLY = 64 << 20
#: One frame's JSON header, and all headers of a reply (a bundled task's reference
#: sends at most 12 KiB in one header, 90 KiB in all).
MAX_HEADER = 256 << 10
MAX_HEADERS = 512 << 10
#: Python objects built from a header take at most this many bytes per byte of JSON:
#: nested empty lists, the worst case found, measure 45 (tests/test_judge_hostile_replies).
EXPANSION = 48
PARSED_HEADER_BOUND = EXPANSION * MAX_HEADER
#: What decoding one reply may hold beyond the reply itself: its parsed headers and
#: the tensors of one frame (blobs are views of the reply, copied once into tensors).
DECODER_BOUND = EXPANSION * MAX_HEADERS + MAX_REPLY
MAX_NDIM = 8
#: hello + one frame per check (a task has at most 10) + end, with room to spare;
#: a reply is held to the number its request asked for.
MAX_FRAMES = 16
MAX_DEPTH = 48
_INT64 = 1 << 63


class WireError(Exception):
    """Bytes that are not a well-formed frame sequence; the message says where."""


class ForeignFrame(WireError):
    """A frame that does not carry this run's nonce: not this run's worker's."""


@dataclass(frozen=True)
class Blob:
    dtype: str
    shape: tuple[int, ...]
    #: Decoded blobs are read-only views of the reply: no copy until a tensor is built.
    data: bytes | memoryview

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
            raise WireError(f"duplicate key {no_surrogates(key)!r} in a frame header")
        out[key] = value
    return out


def _int(text: str) -> int:
    # Checked before int() so that no 5000-digit literal reaches Python's digit limit.
    if len(text) > 20 or not -_INT64 <= (value := int(text)) < _INT64:
        raise WireError(f"a number in a frame header is out of range ({text[:24]}...)")
    return value


def _float(text: str) -> float:
    value = float(text) if len(text) <= 64 else math.inf
    if not math.isfinite(value):  # the worker writes NaN and Infinity, never 1e999
        raise WireError(f"a number in a frame header is out of range ({text[:24]}...)")
    return value


def _clean(value: Any, depth: int = 0) -> Any:
    """`value` with lone surrogates replaced in every string, in place where it can."""
    if isinstance(value, str):
        return no_surrogates(value)
    if depth > MAX_DEPTH:
        raise WireError("a frame header nests deeper than any check needs")
    if isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, (int, float, bool)) and item is not None:
                value[i] = _clean(item, depth + 1)
    elif isinstance(value, dict):
        if all(k.isascii() for k in value):
            for key, item in value.items():
                value[key] = _clean(item, depth + 1)
        else:
            pairs = [(no_surrogates(k), _clean(v, depth + 1)) for k, v in value.items()]
            value = _no_duplicates(pairs)
    return value


def parse_header(head: bytes) -> dict[str, Any]:
    """A header's JSON as a cleaned dict; WireError for anything else."""
    try:
        header = json.loads(
            head, object_pairs_hook=_no_duplicates, parse_int=_int, parse_float=_float
        )
        header = _clean(header)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise WireError(f"not JSON: {no_surrogates(str(exc))[:200]}") from None
    if not isinstance(header, dict):
        raise WireError("not a JSON object")
    return header


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


def decode_frame(
    data: bytes | memoryview,
    offset: int = 0,
    *,
    nonce: str | None = None,
    budget: int = MAX_HEADERS,
) -> tuple[Frame, int]:
    """One frame starting at `offset`; returns it and the offset after it. With `nonce`,
    a header that does not hold it is refused (`ForeignFrame`) before it is parsed;
    `budget` is what is left of the reply's `MAX_HEADERS`."""
    view = memoryview(data)
    if len(view) - offset < PREFIX.size:
        raise WireError(f"truncated frame at byte {offset}")
    magic, hlen, blen = PREFIX.unpack_from(view, offset)
    if magic != MAGIC:
        raise WireError(f"bytes at {offset} are not a frame (bad magic {bytes(magic)!r})")
    if hlen > MAX_HEADER:
        raise WireError(f"frame header of {hlen} bytes exceeds the {MAX_HEADER}-byte cap")
    if hlen > budget:
        raise WireError(f"the frame headers exceed {MAX_HEADERS >> 10} KiB in all")
    start = offset + PREFIX.size
    end = start + hlen + blen
    if end > len(view):
        raise WireError(f"truncated frame at byte {offset}")
    head = bytes(view[start : start + hlen])
    # A substring test costs nothing next to parsing; the parsed nonce is checked too.
    if nonce is not None and nonce.encode() not in head:
        raise ForeignFrame(f"the frame at byte {offset} does not carry this run's nonce")
    try:
        header = parse_header(head)
    except WireError as exc:
        raise WireError(f"frame header at byte {offset}: {exc}") from None
    if nonce is not None and header.get("nonce") != nonce:
        raise ForeignFrame(f"the frame at byte {offset} does not carry this run's nonce")
    blobs, pos = [], start + hlen
    for dtype, shape, nbytes in _blob_specs(header.pop("tensors", None), blen):
        blobs.append(Blob(dtype, shape, view[pos : pos + nbytes]))
        pos += nbytes
    return Frame(header, tuple(blobs)), end


def iter_frames(
    data: bytes, *, nonce: str | None = None, limit: int = MAX_FRAMES
) -> Iterator[Frame]:
    """The frames of a reply, one at a time, so that a reader that stops at the first
    bad frame parses nothing after it. Raises WireError (ForeignFrame for a frame
    without `nonce`) where the bytes stop being `limit` good frames."""
    if len(data) > MAX_REPLY:
        raise WireError(
            f"the reply is {len(data)} bytes, more than the {MAX_REPLY >> 20} MiB the judge reads"
        )
    offset = count = 0
    budget = MAX_HEADERS
    while offset < len(data):
        if count >= limit:
            raise WireError(f"more than the {limit} frames this run asked for")
        start = offset
        frame, offset = decode_frame(data, offset, nonce=nonce, budget=budget)
        budget -= PREFIX.unpack_from(data, start)[1]
        count += 1
        yield frame


def decode_frames(
    data: bytes, *, nonce: str | None = None, limit: int = MAX_FRAMES
) -> tuple[list[Frame], str | None]:
    """All frames in `data`, and what went wrong after the last good one (None when
    the bytes end exactly after a frame)."""
    frames: list[Frame] = []
    try:
        for frame in iter_frames(data, nonce=nonce, limit=limit):
            frames.append(frame)
    except WireError as exc:
        return frames, str(exc)
    return frames, None

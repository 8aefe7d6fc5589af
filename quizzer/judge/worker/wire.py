"""The frame format inside the sandbox: judge -> harness (the request), harness ->
judge (the reply), and harness <-> model host (requests and answers).

Standalone (stdlib + torch). A frame is
    b"QZJ1" | u32 header length | u64 body length | header (UTF-8 JSON) | body
where the header lists the body's tensors as [dtype, shape] under "tensors", the body
is their raw little-endian bytes back to back, and JSON refers to tensor i as
{"$t": i}. Nothing is ever pickled. `read_frame` is bounded and validating: the
harness reads the model host's answers with it, and the model host is hostile.
The judge's own decoder (`quizzer.judge.wire`) mirrors this format.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import struct

import torch

MAGIC = b"QZJ1"
PREFIX = struct.Struct(">4sIQ")
DTYPES = {"float16", "bfloat16", "float32", "float64", "int64", "int32", "int16", "int8", "uint8"}
MAX_HEADER = 4 << 20
MAX_NDIM = 8
MAX_TENSORS = 4096
_write = os.write


class WireError(ValueError):
    """Bytes that are not a well-formed frame; the message says what was wrong."""


def encode(header: dict, tensors: list) -> bytes:
    blobs, specs = [], []
    for t in tensors:
        t = t.detach().cpu().contiguous()
        specs.append([str(t.dtype).removeprefix("torch."), list(t.shape)])
        nbytes = t.numel() * t.element_size()
        blobs.append(ctypes.string_at(t.data_ptr(), nbytes) if nbytes else b"")
    head = json.dumps({**header, "tensors": specs}).encode()
    body = b"".join(blobs)
    return PREFIX.pack(MAGIC, len(head), len(body)) + head + body


def send(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[_write(fd, view) :]


def _read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError(f"the frame ends after {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int) -> dict:
    """One frame from `fd`, its tensors resolved in place; at most `max_bytes` in all.
    Raises EOFError when the other side is gone before a frame starts or ends, and
    WireError for anything malformed."""
    magic, hlen, blen = PREFIX.unpack(_read_exact(fd, PREFIX.size))
    if magic != MAGIC:
        raise WireError("not a frame (bad magic)")
    if hlen > MAX_HEADER or hlen + blen > max_bytes:
        raise WireError(f"a frame of {hlen + blen} bytes is over the {max_bytes}-byte cap")
    try:
        header = json.loads(_read_exact(fd, hlen))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WireError(f"the frame's header is not JSON: {exc}") from None
    except ValueError as exc:  # an integer too long to convert
        raise WireError(f"the frame's header holds a bad number: {exc}") from None
    body = _read_exact(fd, blen)
    specs = header.pop("tensors", None) if isinstance(header, dict) else None
    if not isinstance(specs, list) or len(specs) > MAX_TENSORS:
        raise WireError("the frame's header does not list its tensors")
    tensors, offset = [], 0
    for spec in specs:
        if not (isinstance(spec, list) and len(spec) == 2 and spec[0] in DTYPES):
            raise WireError(f"a tensor of a dtype that is not allowed: {str(spec)[:60]}")
        dtype, shape = spec
        if not (
            isinstance(shape, list)
            and len(shape) <= MAX_NDIM
            and all(type(d) is int and 0 <= d <= blen for d in shape)
        ):
            raise WireError("a tensor with a malformed shape")
        dt = getattr(torch, dtype)
        n = math.prod(shape) * dt.itemsize
        if offset + n > blen:
            raise WireError("the tensors need more bytes than the frame holds")
        raw = bytearray(body[offset : offset + n])
        offset += n
        t = torch.frombuffer(raw, dtype=dt) if n else torch.empty(0, dtype=dt)
        tensors.append(t.reshape(shape))
    if offset != blen:
        raise WireError("the frame holds bytes that no tensor claims")
    used: set[int] = set()
    return _resolve(header, tensors, used)


def _resolve(obj, tensors: list, used: set):
    if isinstance(obj, dict):
        if set(obj) == {"$t"}:
            i = obj["$t"]
            if type(i) is not int or not 0 <= i < len(tensors) or i in used:
                raise WireError("a tensor reference that is missing or used twice")
            used.add(i)
            return tensors[i]
        return {k: _resolve(v, tensors, used) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_resolve(v, tensors, used) for v in obj]
    return obj

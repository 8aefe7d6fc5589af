"""The wire format: the worker's encoder and the judge's strict decoder agree, and
the decoder refuses anything malformed without ever raising past its API."""

from __future__ import annotations

import json
import os
import struct

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzer.judge.tensors import Foreign, from_blob, pack, unpack
from quizzer.judge.wire import (
    MAGIC,
    PREFIX,
    Blob,
    WireError,
    decode_frame,
    decode_frames,
    encode_frame,
)
from quizzer.judge.worker import harness as worker


@pytest.mark.parametrize(
    "t",
    [
        torch.randn(3, 4),
        torch.randn(2, 3, dtype=torch.float64).t(),  # not contiguous
        torch.arange(6, dtype=torch.int64).reshape(2, 3),
        torch.randn(5, dtype=torch.bfloat16),
        torch.empty(0, 3),
        torch.tensor(2.5),
    ],
)
def test_worker_frames_decode_to_equal_plain_tensors(t):
    frame, _ = decode_frame(worker.encode({"kind": "check", "data": {"$t": 0}}, [t]))
    assert frame.header["kind"] == "check"
    got = unpack(frame.header["data"], frame.blobs)
    assert type(got) is torch.Tensor
    assert got.dtype == t.dtype and got.shape == t.shape
    assert torch.equal(got, t.contiguous())


def test_request_reaches_the_worker_intact():
    x = torch.randn(4, 10)
    body, blobs = pack(
        {"nonce": "n", "checks": [{"name": "shapes", "x": x, "batch_sizes": [1, 4]}]}
    )
    read, write = os.pipe()
    os.write(write, encode_frame(body, blobs))
    os.close(write)
    request = worker.wire.read_frame(read, 1 << 20)
    os.close(read)
    assert request["checks"][0]["batch_sizes"] == [1, 4]
    assert torch.equal(request["checks"][0]["x"], x)


def _frame(header: bytes, body: bytes = b"") -> bytes:
    return PREFIX.pack(MAGIC, len(header), len(body)) + header + body


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"garbage!" * 4, "bad magic"),
        (_frame(b'{"tensors": []}')[:-3], "truncated"),
        (_frame(b"[1, 2]"), "not a JSON object"),
        (_frame(b"{nope"), "not JSON"),
        (_frame(b'{"a": 1, "a": 2, "tensors": []}'), "duplicate key"),
        (_frame(b'{"tensors": [["complex64", [2]]]}', b"\0" * 16), "not allowed"),
        (_frame(b'{"tensors": [["float32", [2]]]}', b"\0" * 12), "no tensor claims"),
        (_frame(b'{"tensors": [["float32", [4]]]}', b"\0" * 8), "more bytes"),
        (_frame(b'{"tensors": [["float32", [-1]]]}'), "small integer"),
        (_frame(b'{"tensors": [["float32", [1.5]]]}', b"\0" * 4), "small integer"),
        (_frame(b'{"tensors": "x"}'), "'tensors' list"),
        (PREFIX.pack(MAGIC, 1 << 30, 0), "exceeds"),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(data, words):
    frames, problem = decode_frames(data)
    assert frames == []
    assert problem is not None and words in problem


def test_bytes_after_good_frames_are_reported():
    good = encode_frame({"kind": "end"})
    frames, problem = decode_frames(good + b"tail")
    assert len(frames) == 1 and problem is not None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decoding_random_bytes_never_raises(data):
    frames, problem = decode_frames(MAGIC + data)
    assert isinstance(frames, list)
    assert problem is None or isinstance(problem, str)


@pytest.mark.parametrize("ref", [{"$t": 5}, {"$t": -1}, {"$t": "0"}, [{"$t": 0}, {"$t": 0}]])
def test_bad_tensor_references_are_refused(ref):
    blob = Blob("float32", (1,), b"\0\0\0\0")
    with pytest.raises(WireError):
        unpack(ref, (blob,))


def test_foreign_values_and_nesting_limits():
    assert unpack({"$type": "builtins.tuple", "subclass": False}, ()) == Foreign(
        "builtins.tuple", False
    )
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    with pytest.raises(WireError):
        unpack(deep, ())


def test_from_blob_builds_a_plain_tensor():
    blob = Blob("float64", (2,), struct.pack("<2d", 1.0, 2.0))
    t = from_blob(blob)
    assert type(t) is torch.Tensor and t.tolist() == [1.0, 2.0]


def test_worker_encoder_matches_the_documented_layout():
    raw = worker.encode({"kind": "hello"}, [])
    magic, hlen, blen = PREFIX.unpack_from(raw)
    assert magic == MAGIC and blen == 0
    assert json.loads(raw[PREFIX.size : PREFIX.size + hlen]) == {"kind": "hello", "tensors": []}

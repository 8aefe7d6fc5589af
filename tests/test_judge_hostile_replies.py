"""The trusted judge against hostile replies: a worker (or a submission that got hold of
the reply channel) that floods it with big frames, sends numbers no JSON parser should
turn into Python ints, or strings that no output stream can encode. The judge's memory
stays bounded, frames without this run's nonce are never parsed, and a bad reply costs
its own file an `error` result, never the batch's.

The "worker" here is `tests.fake_worker.FakeSandbox`: it knows the nonce, as a
compromised harness would, and answers with the real worker's encoder; no torch run
is needed."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quizzer.judge import wire
from quizzer.judge.facts import Context
from quizzer.judge.probes import make_probes
from quizzer.judge.result import Status, overall
from quizzer.judge.runner import Options, judge_bytes
from quizzer.judge.sandbox.base import RunOutcome
from quizzer.judge.verdicts import judge_outcome, read_reply
from quizzer.judge.wire import PREFIX
from quizzer.judge.worker import harness as worker
from tests.fake_worker import FakeSandbox, Reply, frames, no_class, raw_frame
from tests.judge_support import GOOD_NN, REPO, task

# one worker builds the context once (a module fixture is built once per worker)
pytestmark = pytest.mark.xdist_group("judge-hostile-replies")


def judge(reply: Reply, source: str = GOOD_NN):
    return judge_bytes(
        source.encode(), task("simple-nn"), FakeSandbox(reply), Options("cpu", seed=3)
    )


@pytest.fixture(scope="module")
def ctx() -> Context:
    coding = task("simple-nn")
    return Context(task=coding, probes=make_probes(coding.spec, 5), device="cpu")


def junk(size: int) -> list[dict[str, Any]]:
    """JSON that costs the most Python memory per byte: `[{}, {}, ...]`."""
    return [{} for _ in range(size // 4)]


def peak_bytes(fn: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def outcome(reply: bytes) -> RunOutcome:
    return RunOutcome(reply=reply, exit_code=0, signal=None, wall_s=0.01)


# --- 1. floods -------------------------------------------------------------------------


def test_frames_without_this_runs_nonce_are_never_parsed(ctx):
    flood = b"".join(
        worker.encode({"nonce": "0" * 32, "seq": i, "kind": "check", "junk": junk(100_000)}, [])
        for i in range(64)
    )
    reply, peak = peak_bytes(lambda: read_reply(ctx, outcome(flood)))
    assert reply.tampered and "nonce" in reply.tampered
    assert peak < 4 << 20, f"decoding foreign frames used {peak >> 20} MiB"


def test_frames_beyond_what_the_request_asked_for_are_never_parsed(ctx):
    nonce = ctx.probes.nonce
    names = list(ctx.task.spec.checks)
    good = frames(
        nonce,
        {"kind": "hello"},
        *({"kind": "check", "name": n, "data": {}} for n in names),
        {"kind": "end"},
    )
    extra = [{"kind": "check", "name": "load", "junk": junk(100_000)} for _ in range(50)]
    flood = good + frames(nonce, *extra, first_seq=len(names) + 2)
    reply, peak = peak_bytes(lambda: read_reply(ctx, outcome(flood)))
    assert reply.tampered and "frames" in reply.tampered
    assert peak < 4 << 20, f"decoding surplus frames used {peak >> 20} MiB"


def test_a_header_over_the_cap_is_refused_before_parsing(ctx):
    nonce = ctx.probes.nonce
    big = frames(nonce, {"kind": "hello", "junk": "x" * (300 << 10)})
    frames_, problem = wire.decode_frames(big)
    assert frames_ == [] and problem is not None and "cap" in problem
    status = overall(judge_outcome(ctx, outcome(big), {}))[0]
    assert status is Status.ERROR


def test_a_reply_over_the_decoders_cap_is_refused_unread(ctx):
    nonce = ctx.probes.nonce
    hello = frames(nonce, {"kind": "hello"})
    body = wire.MAX_REPLY  # one blob that alone is bigger than the cap
    head = json.dumps(
        {"nonce": nonce, "seq": 1, "kind": "check", "name": "load", "tensors": [["uint8", [body]]]}
    ).encode()
    huge = hello + raw_frame(head, bytes(body))
    checks = judge_outcome(ctx, outcome(huge), {})
    assert checks[0].status is Status.ERROR
    assert f"more than the {wire.MAX_REPLY >> 20} MiB" in checks[0].message


def worst_header(
    nonce: str,
    unit: bytes,
    seq: int = 0,
    kind: bytes = b'"kind": "hello"',
    tensors: bytes = b"[]",
    body: bytes = b"",
) -> bytes:
    """A frame whose header is MAX_HEADER bytes of compact JSON repeating `unit`: the
    shapes that cost the most Python memory per byte."""
    pre = b'{"nonce": "%s", "seq": %d, %s, "tensors": %s, "junk": [' % (
        nonce.encode(),
        seq,
        kind,
        tensors,
    )
    count = (wire.MAX_HEADER - len(pre) - 2) // (len(unit) + 1)
    head = pre + b",".join([unit] * count) + b"]}"
    return raw_frame(head, body)


@pytest.mark.parametrize(
    "unit", [b"{}", b"[[]]", b"[" * 40 + b"]" * 40, b'{"":' * 40 + b"{}" + b"}" * 40]
)
@pytest.mark.slow
def test_the_worst_header_stays_within_the_documented_bound(ctx, unit):
    frame = worst_header(ctx.probes.nonce, unit)
    assert len(frame) - PREFIX.size <= wire.MAX_HEADER
    started = time.perf_counter()
    (decoded, _), peak = peak_bytes(lambda: wire.decode_frame(frame, nonce=ctx.probes.nonce))
    assert decoded.header["kind"] == "hello"
    assert peak <= wire.PARSED_HEADER_BOUND, f"{peak / wire.MAX_HEADER:.1f} bytes per byte"
    assert time.perf_counter() - started < 10.0


@pytest.mark.slow
def test_the_headers_of_one_reply_share_one_budget(ctx):
    nonce = ctx.probes.nonce
    hello = worst_header(nonce, b"[]")
    load = worst_header(nonce, b"[]", seq=1, kind=b'"kind": "check", "name": "load"')
    rest = b"".join(worst_header(nonce, b"[]", seq=i) for i in range(2, 6))
    reply, peak = peak_bytes(lambda: read_reply(ctx, outcome(hello + load + rest)))
    assert "load" in reply.checks
    assert reply.problem is not None and "in all" in reply.problem
    assert peak <= wire.EXPANSION * wire.MAX_HEADERS


@pytest.mark.slow
def test_a_worst_reply_within_the_caps_stays_within_the_decoders_bound(ctx):
    """Headers at their caps, the worst JSON, and a blob that fills the reply to its
    cap and is built into a tensor: the whole verdict stays under DECODER_BOUND."""
    nonce, deep = ctx.probes.nonce, b"[" * 40 + b"]" * 40
    size = (wire.MAX_REPLY - 8 * (PREFIX.size + wire.MAX_HEADER)) // 4
    load = b'"kind": "check", "name": "load", "data": {"found": true, "x": {"$t": 0}}'
    spec = b'[["float32", [%d]]]' % size
    reply = worst_header(nonce, deep)
    reply += worst_header(nonce, deep, seq=1, kind=load, tensors=spec, body=bytes(4 * size))
    reply += b"".join(worst_header(nonce, deep, seq=i) for i in range(2, 8))
    assert len(reply) <= wire.MAX_REPLY
    checks, peak = peak_bytes(lambda: judge_outcome(ctx, outcome(reply), {}))
    assert "malformed" in checks[0].message  # judged: the frames were read, not refused
    assert peak <= wire.DECODER_BOUND, f"{peak >> 20} MiB"


def test_the_reply_bounds_are_documented():
    doc = (REPO / "docs" / "sandbox.md").read_text(encoding="utf-8")
    assert "### Reply bounds" in doc
    section = doc.split("### Reply bounds", 1)[1].split("\n## ", 1)[0]
    for figure in (
        f"{wire.MAX_REPLY >> 20} MiB",
        f"{wire.MAX_HEADER >> 10} KiB",
        f"{wire.PARSED_HEADER_BOUND >> 20} MiB",
        f"{wire.DECODER_BOUND >> 20} MiB",
    ):
        assert figure in section, figure


# --- 2. numbers and strings --------------------------------------------------------------


def test_a_5000_digit_integer_is_this_files_error_not_a_crash():
    def reply(req: dict[str, Any]) -> bytes:
        head = worker.encode(
            {"nonce": req["nonce"], "seq": 1, "kind": "check", "name": "load", "elapsed_s": 0}, []
        )[PREFIX.size :]
        head = head.replace(b'"elapsed_s": 0', b'"elapsed_s": ' + b"7" * 5000)
        return frames(req["nonce"], {"kind": "hello"}) + raw_frame(head)

    result = judge(reply)
    assert result.status is Status.ERROR
    assert result.checks[0].name == "load" and result.checks[0].status is Status.ERROR
    json.loads(result.to_json())


@pytest.mark.parametrize(
    "number", [b"9" * 40, b"-" + b"9" * 20, b"1e999", b"-1e999", b"0." + b"0" * 500 + b"1"]
)
def test_numbers_out_of_range_are_refused_by_the_decoder(ctx, number):
    head = json.dumps({"nonce": ctx.probes.nonce, "seq": 0, "kind": "hello", "n": 0}).encode()
    head = head.replace(b'"n": 0', b'"n": ' + number)
    head = head[:-1] + b', "tensors": []}'
    frames_, problem = wire.decode_frames(raw_frame(head))
    assert frames_ == [] and problem is not None and "number" in problem


def test_nan_and_infinity_from_the_worker_still_decode(ctx):
    frame = frames(ctx.probes.nonce, {"kind": "hello", "losses": [float("nan"), float("inf")]})
    [decoded], problem = wire.decode_frames(frame)
    assert problem is None and decoded.header["losses"][1] == float("inf")


def test_lone_surrogates_are_replaced_where_the_reply_enters_the_judge():
    result = judge(lambda req: no_class(req["nonce"], ["Evil\ud800", "\udfff"]))
    load = result.checks[0]
    assert load.status is Status.FAIL
    assert load.metrics["classes"] == ["Evil\ufffd", "\ufffd"]
    result.to_json().encode("utf-8")  # encodable: this is what --json prints
    [hello], _ = wire.decode_frames(frames("n", {"kind": "hello", "\ud800": 1}))
    assert hello.header["\ufffd"] == 1


def test_keys_that_collide_once_cleaned_are_refused():
    # Two keys that differ only in their lone surrogates.
    reply = frames("n", {"kind": "hello", chr(0xD800): 1, chr(0xDC00): 2})
    frames_, problem = wire.decode_frames(reply)
    assert frames_ == [] and problem is not None and "duplicate" in problem


def test_an_unexpected_exception_in_the_verdict_is_this_files_error(monkeypatch):
    def boom(*args: Any) -> None:
        raise RuntimeError("a bug the reply found \ud800")

    monkeypatch.setattr("quizzer.judge.runner.judge_outcome", boom)
    result = judge(lambda req: no_class(req["nonce"], ["X"]))
    assert result.status is Status.ERROR
    assert "a bug the reply found" in (result.message or "")
    result.to_json().encode("utf-8")


def _two_files(tmp_path: Path) -> list[Path]:
    bad, good = tmp_path / "bad.py", tmp_path / "good.py"
    bad.write_text("# HOSTILE\n" + GOOD_NN)
    good.write_text(GOOD_NN)
    return [bad, good]


def _by_source(req: dict[str, Any]) -> bytes:
    if "HOSTILE" in req["source"]:
        return no_class(req["nonce"], ["Evil\ud800"])
    return no_class(req["nonce"], ["Fine"])


@pytest.mark.parametrize("mode", ["--json", "--events", "text"])
def test_one_hostile_reply_does_not_lose_the_batch(run_cli, monkeypatch, tmp_path, mode):
    monkeypatch.setattr(
        "quizzer.judge.sandbox.open_sandbox", lambda *a, **k: FakeSandbox(_by_source)
    )
    files = _two_files(tmp_path)
    args = [*files, "--task", "simple-nn", "--device", "cpu", "--sandbox", "none"]
    result = run_cli("judge", *args, *([mode] if mode != "text" else []))
    assert result.exit_code == 1, result.stderr
    if mode == "--json":
        docs = json.loads(result.stdout)
        assert [d["checks"][0]["metrics"]["classes"] for d in docs] == [["Evil\ufffd"], ["Fine"]]
    elif mode == "--events":
        events = [json.loads(line) for line in result.stdout.splitlines()]
        assert events[-1] == {"event": "summary", "total": 2, "passed": 0}
        docs = {Path(e["submission"]).name: e for e in events if "submission" in e}
        assert docs["bad.py"]["checks"][0]["metrics"]["classes"] == ["Evil\ufffd"]
    else:
        assert "0 of 2 files passed" in result.stdout


def test_screen_grade_candidates_survives_a_hostile_reply(run_cli, monkeypatch, tmp_path):
    from tests.screen_fixtures.support import CONCEPTS_ONLY, PUBLIC, write_screen

    text = CONCEPTS_ONLY + "  - id: coding\n    title: Coding\n    tasks: [fix-linear]\n"
    screen = write_screen(tmp_path, text)
    root = tmp_path / "candidates"
    reference = (PUBLIC / "tasks" / "fix-linear" / "reference.py").read_text()
    for who, source in (("eve", "# HOSTILE\n" + reference), ("bob", reference)):
        (root / who / "solutions").mkdir(parents=True)
        (root / who / "answers.yaml").write_text(f"candidate: {who}\nanswers:\n")
        (root / who / "solutions" / "fix-linear.py").write_text(source)
    fake = FakeSandbox(_by_source)
    monkeypatch.setattr("quizzer.screen.grader._open_sandbox", lambda *a: fake)
    out = tmp_path / "out"
    result = run_cli("screen", "grade", screen, "--candidates", root, "-o", out)
    assert result.exit_code == 1, result.stderr
    for who in ("eve", "bob"):
        doc = json.loads((out / who / "results.json").read_text(encoding="utf-8"))
        assert doc["candidate"] == who
    assert "Evil\ufffd" in (out / "eve" / "results.json").read_text(encoding="utf-8")

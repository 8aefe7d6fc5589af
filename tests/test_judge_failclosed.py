"""The verdict fails closed: a missing, cut, garbled, tampered or late reply, a dead
or silent worker, and every limit give an error or a failure that says what
happened, never a pass. Real replies come from the reference judged once."""

from __future__ import annotations

import pytest

from quizzer.judge.facts import Context
from quizzer.judge.probes import make_probes
from quizzer.judge.result import Status, overall
from quizzer.judge.runner import Options, judge_bytes
from quizzer.judge.sandbox.base import RunOutcome, RunRequest
from quizzer.judge.verdicts import judge_outcome
from quizzer.judge.wire import decode_frames
from quizzer.judge.worker import harness as worker
from tests.judge_support import GOOD_NN, task, warm_sandbox

# slow: replays a real judged reply many ways; one worker: its module fixtures are built once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("judge-failclosed")]


class Recorder:
    """A sandbox that runs this test process's warm one and remembers the request and
    outcome."""

    name = "recorder"

    def __init__(self) -> None:
        self.inner = warm_sandbox()
        self.outcome: RunOutcome | None = None

    def protections(self) -> tuple[str, ...]:
        return ()

    def run(self, request: RunRequest) -> RunOutcome:
        self.outcome = self.inner.run(request)
        return self.outcome

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def real():
    """(context, outcome) of the reference judged for real; the verdict passes."""
    recorder = Recorder()
    coding = task("simple-nn")
    result = judge_bytes(GOOD_NN.encode(), coding, recorder, Options(device="cpu", seed=11))
    assert result.status is Status.PASS, result.message
    assert recorder.outcome is not None
    return Context(task=coding, probes=make_probes(coding.spec, 11), device="cpu"), recorder.outcome


def _with_nonce(ctx: Context, outcome: RunOutcome) -> Context:
    """The probes with the nonce of the recorded run (make_probes draws a fresh one)."""
    first, _ = decode_frames(outcome.reply)
    probes = ctx.probes.__class__(**{**ctx.probes.__dict__, "nonce": first[0].header["nonce"]})
    return Context(task=ctx.task, probes=probes, device="cpu")


def _verdict(ctx: Context, outcome: RunOutcome, **changes):
    fields = {**outcome.__dict__, **changes}
    checks = judge_outcome(ctx, RunOutcome(**fields), {})
    return overall(checks)[0], checks


@pytest.mark.slow
def test_the_recorded_reply_passes_when_replayed(real):
    ctx, outcome = real
    status, _ = _verdict(_with_nonce(ctx, outcome), outcome)
    assert status is Status.PASS


def test_a_replay_under_another_nonce_is_tampering(real):
    ctx, outcome = real
    status, checks = _verdict(ctx, outcome)
    assert status is Status.ERROR
    assert "nonce" in checks[0].message


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.2, 0.5, 0.9, 0.999])
def test_a_cut_reply_never_passes(real, fraction):
    ctx, outcome = real
    ctx = _with_nonce(ctx, outcome)
    cut = outcome.reply[: int(len(outcome.reply) * fraction)]
    status, checks = _verdict(ctx, outcome, reply=cut)
    assert status is not Status.PASS
    assert any("before finishing" in c.message or "broken frame" in c.message for c in checks)


def test_extra_bytes_after_the_end_are_tampering(real):
    ctx, outcome = real
    status, checks = _verdict(_with_nonce(ctx, outcome), outcome, reply=outcome.reply + b"QZJ1junk")
    assert status is Status.ERROR and "not this run's worker's" in checks[0].message


def test_garbage_before_the_frames_is_refused(real):
    ctx, outcome = real
    status, _ = _verdict(_with_nonce(ctx, outcome), outcome, reply=b"PASS\n" + outcome.reply)
    assert status is not Status.PASS


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"limit_hit": "wall", "exit_code": None, "signal": 9}, "time limit (30 s wall clock)"),
        ({"limit_hit": "memory", "exit_code": None, "signal": 9}, "memory limit (2048 MB)"),
        ({"limit_hit": "output", "exit_code": None, "signal": 9}, "output limit"),
        ({"exit_code": None, "signal": 11}, "SIGSEGV"),
        ({"exit_code": 0}, "exited with status 0 before finishing"),
        ({"exit_code": 3, "output": "Traceback: boom"}, "status 3"),
    ],
)
def test_a_silent_worker_is_an_error_that_says_why(real, changes, words):
    ctx, outcome = real
    status, checks = _verdict(_with_nonce(ctx, outcome), outcome, reply=b"", **changes)
    assert status is Status.ERROR
    assert words in checks[0].message
    assert all(c.status is Status.SKIPPED for c in checks[1:])


def test_a_lying_frame_with_the_right_nonce_is_malformed_not_passed(real):
    ctx, outcome = real
    ctx = _with_nonce(ctx, outcome)
    nonce = ctx.probes.nonce
    frames = [
        worker.encode({"nonce": nonce, "seq": 0, "kind": "hello"}, []),
        worker.encode(
            {"nonce": nonce, "seq": 1, "kind": "check", "name": "load", "data": {"found": "yes"}},
            [],
        ),
        worker.encode({"nonce": nonce, "seq": 2, "kind": "end"}, []),
    ]
    status, checks = _verdict(ctx, outcome, reply=b"".join(frames))
    assert status is Status.ERROR
    assert "malformed" in checks[0].message


def test_a_check_out_of_order_is_tampering(real):
    ctx, outcome = real
    ctx = _with_nonce(ctx, outcome)
    nonce = ctx.probes.nonce
    frames = [
        worker.encode({"nonce": nonce, "seq": 0, "kind": "hello"}, []),
        worker.encode(
            {"nonce": nonce, "seq": 1, "kind": "check", "name": "learning", "data": {}}, []
        ),
    ]
    status, checks = _verdict(ctx, outcome, reply=b"".join(frames))
    assert status is Status.ERROR and "not due" in checks[0].message

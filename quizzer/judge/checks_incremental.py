"""The incremental check: a cached attention module judged by decoding.

Called by `quizzer.judge.runner` (`plan_incremental`, before the run) and by
`quizzer.judge.verdicts` (`incremental`). The judge draws a sequence length, an input
and three chunk schedules from the run's seed (one token at a time; a prompt then one
token at a time; uneven chunks). The task's reference solution runs first, in a
worker of its own: it randomises its state and sends it back with its outputs and
caches. The submission then gets that state; for each dtype the worker asks it for
`forward(x, None)` on the whole sequence and, per schedule, `forward(chunk, cache)`
chunk by chunk, handing back the cache tensors each call returned. Here every output
and every cache is held against the reference solution's: its shape (a cache grows by
exactly the chunk's length) and its values, so that a submission that is wrong the
same way with and without a cache fails as well.
"""

from __future__ import annotations

import random
import secrets
import threading
from dataclasses import replace
from typing import Any

import torch

from quizzer.bank.models import Coding
from quizzer.judge import explain
from quizzer.judge.facts import (
    CheckFailed,
    Context,
    Malformed,
    Unjudgeable,
    get,
    shape_text,
    tensor,
)
from quizzer.judge.plans import DecodeRun, IncrementalPlan
from quizzer.judge.probes import Probes, build_request
from quizzer.judge.result import Metric
from quizzer.judge.sandbox.base import RunRequest, Sandbox
from quizzer.judge.tensors import Foreign, unpack
from quizzer.judge.wire import WireError

Triple = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
#: Plans kept; `bank verify` needs one per task and seed.
CACHE_SIZE = 64
_CACHE: dict[tuple[Any, ...], IncrementalPlan] = {}
_GUARD = threading.Lock()


def draw_inputs(task: Coding, seed: int) -> IncrementalPlan:
    """The sequence and the chunk schedules, from the run's seed: all ones; a prompt
    of 2 to T - 2 tokens, then ones; uneven chunks of 1 to 3 tokens, the second of 2
    or 3."""
    spec, inc = task.spec, task.spec.incremental
    assert inc is not None
    rng = random.Random(seed * 11 + 3)
    length = rng.randint(*inc.lengths)
    features = int(spec.input_shape[-1])
    gen = torch.Generator().manual_seed(seed * 11 + 4)
    x = inc.input_scale * torch.randn(
        (inc.batch_size, length, features), generator=gen, dtype=torch.float64
    )
    prompt = rng.randint(2, length - 2)
    # the second chunk has 2 or 3 tokens: several new queries on top of a cache, which
    # must not see each other's future (single tokens never show that)
    uneven = [rng.randint(1, 2), rng.randint(2, 3)]
    while sum(uneven) < length:
        uneven.append(min(rng.randint(1, 3), length - sum(uneven)))
    schedules = ((1,) * length, (prompt,) + (1,) * (length - prompt), tuple(uneven))
    return IncrementalPlan(x, schedules)


def plan_incremental(
    task: Coding, probes: Probes, device: str, sandbox: Sandbox
) -> IncrementalPlan:
    """The inputs and the reference solution's runs (cached per task, reference text,
    seed and device)."""
    drawn = draw_inputs(task, probes.seed)
    if task.source_file is None:
        return replace(drawn, problem="the task was not loaded from a bank file")
    path = task.source_file.parent / task.reference
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return replace(drawn, problem=f"cannot read {path}: {exc}")
    key = (task.id, source, probes.seed, device, task.spec.model_dump_json())
    with _GUARD:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    plan = _run_reference(task, source, probes, device, sandbox, drawn)
    if plan.problem is None:
        with _GUARD:
            _CACHE[key] = plan
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
    return plan


def _run_reference(
    task: Coding,
    source: str,
    probes: Probes,
    device: str,
    sandbox: Sandbox,
    drawn: IncrementalPlan,
) -> IncrementalPlan:
    from quizzer.judge.verdicts import read_reply

    own = replace(probes, nonce=secrets.token_hex(16))
    asked = replace(drawn, perturb=probes.seed * 11 + 5)
    names = ["load", "incremental"]
    payload = build_request(task, source, own, device, inc=asked, checks=names)
    outcome = sandbox.run(RunRequest(payload=payload, limits=task.spec.limits, device=device))
    reply = read_reply(Context(task=task, probes=own, device=device), outcome, expected=names)
    frame = reply.checks.get("incremental")
    loaded = reply.checks.get("load")
    for each in (loaded, frame):
        error = each.header.get("error") if each is not None else None
        if error is not None and not reply.tampered:
            problem = explain.name_file(explain.exception(error, "running it"), task.reference)
            return replace(drawn, problem=problem)
    if frame is None or reply.tampered:
        why = reply.tampered or reply.problem or f"exit status {outcome.exit_code}"
        return replace(drawn, problem=f"its worker did not finish ({why})")
    try:
        data = unpack(frame.header.get("data"), frame.blobs)
        state = {str(k): _plain(v) for k, v in get(data, "state", dict).items()}
        runs = tuple(_reference_run(r, drawn) for r in get(data, "runs", list))
    except (Malformed, CheckFailed, WireError, KeyError, TypeError, ValueError) as exc:
        return replace(drawn, problem=f"its report is malformed or wrong ({exc})")
    return replace(drawn, state=state, runs=runs)


def _plain(value: Any) -> torch.Tensor:
    if type(value) is not torch.Tensor:
        raise Malformed("not a tensor")
    return value


def _reference_run(rec: Any, drawn: IncrementalPlan) -> DecodeRun:
    """One dtype of the reference's own run, which must itself decode as it computes
    the whole sequence."""
    dtype = get(rec, "dtype", str)
    full = _triple(get(rec, "full", dict))
    chunks = []
    for schedule, got in zip(drawn.schedules, get(rec, "schedules", list), strict=True):
        if not isinstance(got, list) or len(got) != len(schedule):
            raise Malformed("a schedule's chunks")
        triples = tuple(_triple(c) for c in got)
        start = 0
        for n, (y, _, _) in zip(schedule, triples, strict=True):
            want = full[0][:, start : start + n]
            if y.shape != want.shape or not torch.allclose(y, want, rtol=1e-3, atol=1e-4):
                raise Malformed(
                    f"its chunked output differs from its whole-sequence output in {dtype}"
                )
            start += n
        chunks.append(triples)
    return DecodeRun(dtype, full, tuple(chunks))


def _triple(rec: Any) -> Triple:
    cache = rec.get("cache") if isinstance(rec, dict) else None
    if not (isinstance(rec, dict) and rec.get("pair") is True and isinstance(cache, list)):
        raise Malformed("an output that is not (y, (k, v))")
    y, k, v = (_plain(t) for t in (rec.get("out"), *cache))
    if not all(t.is_floating_point() and bool(torch.isfinite(t).all()) for t in (y, k, v)):
        raise Malformed("a non-finite or non-floating output")
    return y, k, v


# --- the verdict ---------------------------------------------------------------------


def incremental(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    plan, inc = ctx.inc, ctx.task.spec.incremental
    if plan is None or inc is None:
        raise Malformed("no incremental plan")
    if plan.problem is not None:
        raise Unjudgeable(
            f"the task's reference solution {ctx.task.reference} failed, so nothing can be "
            f"compared: {plan.problem}"
        )
    name = ctx.task.class_name
    runs = get(data, "runs", list)
    by_dtype = {r.dtype: r for r in plan.runs}
    worst = 0.0
    for rec in runs:
        if not isinstance(rec, dict):
            raise Malformed("run record")
        dtype = get(rec, "dtype", str)
        want = by_dtype.get(dtype)
        if want is None:
            raise Malformed(f"a run in {dtype}")
        exact = by_dtype.get("float64") if dtype == "float32" else None
        judge = _Judge(ctx, want)
        full = exact.full if exact else None
        worst = max(
            worst, judge.chunk("the whole sequence", None, 0, rec.get("full"), want.full, full)
        )
        got_schedules = get(rec, "schedules", list)
        for index, (schedule, got) in enumerate(zip(plan.schedules, got_schedules, strict=False)):
            if not isinstance(got, list):
                raise Malformed("schedule record")
            start = 0
            for i, (n, chunk) in enumerate(zip(schedule, got, strict=False)):
                expected = want.chunks[index][i]
                precise = exact.chunks[index][i] if exact else None
                where = f"chunk {i + 1} of {_schedule_text(schedule)}"
                worst = max(worst, judge.chunk(where, schedule, start, chunk, expected, precise))
                start += n
    if error is not None:
        doing = f"{name}.forward(x, cache) in eval mode"
        if error.get("op") == "load_state":
            doing = (
                f"loading the judge's state into {name} (state_dict keys as the statement "
                "names the layers)"
            )
        raise CheckFailed(explain.exception(error, doing))
    wanted = len(inc.dtypes) * (1 + sum(len(s) for s in plan.schedules))
    judged = sum(
        1 + sum(len(s) for s in r.get("schedules", []) if isinstance(s, list))
        for r in runs
        if isinstance(r, dict)
    )
    if len(runs) != len(inc.dtypes) or judged != wanted:
        raise Malformed("the worker stopped before every chunk was run")
    shown = ", ".join(_schedule_text(s) for s in plan.schedules)
    return (
        f"decoding chunk by chunk with the returned cache ({shown}) gives the reference "
        f"solution's outputs and caches in {', '.join(inc.dtypes)}; each cache grows by "
        "its chunk's length",
        {
            "length": int(plan.x.shape[1]),
            "schedules": " ".join(_schedule_text(s) for s in plan.schedules),
            "max_error": worst,
        },
    )


def _schedule_text(schedule: tuple[int, ...]) -> str:
    return "chunks [" + ", ".join(str(n) for n in schedule) + "]"


class _Judge:
    """Holds one dtype's outputs and caches against the reference's."""

    def __init__(self, ctx: Context, want: DecodeRun) -> None:
        inc = ctx.task.spec.incremental
        assert inc is not None
        self.name, self.want = ctx.task.class_name, want
        self.tol = inc.tolerance(want.dtype)
        self.dtype = getattr(torch, want.dtype)

    def chunk(
        self,
        where: str,
        schedule: tuple[int, ...] | None,
        start: int,
        rec: Any,
        expected: Triple,
        precise: Triple | None,
    ) -> float:
        """Fails the chunk that starts at position `start` if its output or cache is
        wrong; returns its largest error. `precise` is the reference's float64 run of
        the same chunk, for a float32 run: 16 times the gap between the two is the
        rounding this computation suffers, added to the tolerance."""
        if not isinstance(rec, dict):
            raise Malformed("chunk record")
        call = f"{self.name}.forward(x[:, {start}:{start + expected[0].shape[1]}], cache)"
        if schedule is None:
            call = f"{self.name}.forward(x, None)"
        if rec.get("pair") is not True:
            got = rec.get("out")
            what = got.describe() if isinstance(got, Foreign) else type(got).__name__
            raise CheckFailed(
                f"{call} ({where}, {self.want.dtype}) returns {what}; it must return a pair "
                "(y, (k, v)): the output and the new cache"
            )
        rounding = [0.0, 0.0, 0.0]
        if precise is not None:
            rounding = [
                16 * float((a.double() - b).abs().max())
                for a, b in zip(expected, precise, strict=True)
            ]
        hint = CACHED_HINT if schedule is not None else FULL_HINT
        y = self._tensor(rec.get("out"), f"{call} ({where}): the output y", expected[0])
        err = self._compare(y, expected[0], where, call, "output y", start, rounding[0], hint)
        cache = rec.get("cache")
        if not isinstance(cache, list):
            what = cache.describe() if isinstance(cache, Foreign) else type(cache).__name__
            raise CheckFailed(
                f"{call} ({where}) returns {what} as its cache; return a pair (k, v) of "
                "tensors of shape (batch, heads, positions so far, head size)"
            )
        before = start if schedule is not None else 0
        pairs = zip(("keys", "values"), cache, expected[1:], rounding[1:], strict=True)
        for label, got, want, rounded in pairs:
            t = tensor(got, f"{call} ({where}): the cached {label}")
            self._cache_shape(t, want, label, call, where, before, expected[0].shape[1])
            what = f"cached {label}"
            err = max(err, self._compare(t, want, where, call, what, None, rounded, CACHE_HINT))
        return err

    def _tensor(self, value: Any, what: str, want: torch.Tensor) -> torch.Tensor:
        t = tensor(value, what)
        if tuple(t.shape) != tuple(want.shape):
            raise CheckFailed(
                f"{what} has shape {shape_text(t.shape)}; expected {shape_text(want.shape)}"
            )
        return t

    def _cache_shape(
        self,
        t: torch.Tensor,
        want: torch.Tensor,
        label: str,
        call: str,
        where: str,
        before: int,
        chunk: int,
    ) -> None:
        if tuple(t.shape) == tuple(want.shape):
            return
        why = ""
        if t.dim() == 4 and tuple(t.shape[:2]) == tuple(want.shape[:2]):
            grew = int(t.shape[2]) - before
            if grew == 0:
                why = (
                    ": it did not grow, as if the cache were returned before this chunk's "
                    "keys and values were appended"
                )
            elif grew == 2 * chunk:
                why = f": it grew by {grew}, twice the chunk's {chunk} positions (appended twice?)"
            elif grew != chunk:
                why = f": it grew by {grew} positions, not by the chunk's {chunk}"
        elif t.dim() == 4:
            why = (
                ": the positions go on dimension 2 (batch, heads, positions, head size); "
                "concatenate along it"
            )
        raise CheckFailed(
            f"after {call} ({where}, {self.want.dtype}), the cached {label} have shape "
            f"{shape_text(t.shape)}; expected {shape_text(want.shape)} after "
            f"{int(want.shape[2]) if want.dim() == 4 else '?'} positions{why}"
        )

    def _compare(
        self,
        got: torch.Tensor,
        want: torch.Tensor,
        where: str,
        call: str,
        what: str,
        start: int | None,
        rounding: float,
        hint: str,
    ) -> float:
        if got.dtype != self.dtype:
            raise CheckFailed(
                f"{call} ({where}) gives the {what} in {got.dtype}; the model runs in "
                f"{self.dtype}: keep the input's dtype"
            )
        if not bool(torch.isfinite(got).all()):
            raise CheckFailed(f"{call} ({where}, {self.want.dtype}) gives a non-finite {what}")
        diff = (got.double() - want.double()).abs()
        bound = self.tol.atol + rounding + self.tol.rtol * want.double().abs()
        bad = diff > bound
        if bool(bad.any()):
            verb = "differ" if what.startswith("cached") else "differs"
            index = [int(i) for i in bad.nonzero()[0]]
            at = f" at position {start + index[1]}" if start is not None and len(index) > 1 else ""
            raise CheckFailed(
                f"{call} ({where}, {self.want.dtype}): the {what} {verb} from the reference "
                f"solution's{at} by up to {float(diff.max()):.3g} (element {index}: "
                f"{float(got[tuple(index)]):.6g}, expected {float(want[tuple(index)]):.6g}; "
                f"tolerance {self.tol.atol + rounding:.3g} + {self.tol.rtol:g} * |expected|). "
                + hint,
                max_error=float(diff.max()),
            )
        return float(diff.max()) if diff.numel() else 0.0


FULL_HINT = (
    "With no cache this is causal self-attention over the whole sequence: position i "
    "attends to positions 0 .. i, the softmax runs over the keys, and the scores are "
    "divided by the square root of the head size."
)
CACHE_HINT = (
    "The cache holds every position's keys and values so far, projected and split into "
    "heads: (batch, heads, positions, head size), the new chunk's appended after the "
    "cached ones."
)
CACHED_HINT = (
    "Each new query at absolute position p attends to every cached position and to the "
    "new ones up to p: with a cache of n positions, query i of the chunk sees keys "
    "0 .. n + i (a square causal mask, or is_causal=True, lines the mask up with the "
    "first key instead)."
)

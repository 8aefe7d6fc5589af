"""Verdict of the collate check, on the trusted side.

Called by `quizzer.judge.verdicts` with what the worker sent: for each call the judge
planned (`quizzer.judge.collate_cases`), the tuple the submission's collate function
returned; with `spec.collate.sampler`, the batches its sampler returned for each
seed. The judge compares every tensor exactly (dtype, shape, values) with the ones it
computed itself, and checks the batches' properties (each index exactly once, at most
`max_tokens` padded tokens, similar lengths together, the same order for the same seed,
another for other seeds). When a tuple differs, it replays the usual mistakes to name
the one that matches.
"""

from __future__ import annotations

from typing import Any

import torch

from quizzer.judge import explain
from quizzer.judge.collate_cases import (
    FIELDS,
    Case,
    Expected,
    SamplerCase,
    cases,
    expected,
    greedy_padded,
    padded_length,
    sampler_case,
)
from quizzer.judge.facts import CheckFailed, Context, Malformed, get, shape_text
from quizzer.judge.result import Metric
from quizzer.judge.tensors import Foreign

Verdict = tuple[str, dict[str, Metric]]
#: How many times the padded tokens of sorting and cutting greedily a sampler's
#: batches may hold: bucketing by length ranges passes, batches of random samples
#: (about twice the real tokens) do not.
PADDING_SLACK = 1.5


def collate(ctx: Context, data: dict[str, Any], error: dict[str, Any] | None) -> Verdict:
    spec = ctx.task.spec.collate
    if spec is None:
        raise Malformed("no collate spec")
    planned = cases(spec, ctx.probes.seed)
    done = get(data, "cases", list)
    name = ctx.task.class_name
    for index, (got, case) in enumerate(zip(done, planned, strict=False)):
        _compare(name, index, case, got)
    if error is not None and len(done) < len(planned):
        case = planned[len(done)]
        doing = f"call {len(done) + 1} of {name} ({case.describe()})"
        raise CheckFailed(explain.exception(error, doing), call=len(done) + 1)
    if len(done) != len(planned):
        raise Malformed("wrong number of calls")
    message = (
        f"{len(planned)} calls return exactly the padded tokens, lengths, mask and labels "
        "(right padding, batch order kept, pad_to_multiple_of rounded up)"
    )
    metrics: dict[str, Metric] = {"calls": len(planned)}
    if spec.sampler is not None:
        if error is not None:
            raise CheckFailed(explain.exception(error, f"calling {spec.sampler}"))
        batches = get(data, "sampler", list)
        message += "; " + _sampler(spec.sampler, sampler_case(spec, ctx.probes.seed), batches)
        metrics["sampler_calls"] = len(batches)
    elif error is not None:
        raise CheckFailed(explain.exception(error, f"calling {name}"))
    return message, metrics


def _element(value: Any, what: str) -> torch.Tensor:
    """A plain tensor the judge decoded ({"bool": uint8} for a bool one), or
    CheckFailed naming what came instead."""
    if isinstance(value, dict) and set(value) == {"bool"}:
        t = value["bool"]
        if type(t) is not torch.Tensor or t.dtype != torch.uint8 or bool((t > 1).any()):
            raise Malformed(f"{what}: a bool tensor that is not 0s and 1s")
        return t.bool()
    if isinstance(value, dict) and set(value) == {"$what"}:
        raise CheckFailed(f"{what} is {explain.cap(str(value['$what']), 80)}, not a torch.Tensor")
    if isinstance(value, Foreign):
        raise CheckFailed(f"{what} is {value.describe()}, not a plain torch.Tensor")
    if type(value) is not torch.Tensor:
        raise Malformed(f"{what} is not a tensor reference")
    return value


def _compare(name: str, index: int, case: Case, got: Any) -> None:
    where = f"call {index + 1} of {name} ({case.describe()})"
    if not isinstance(got, list):
        raise Malformed("a call's outputs")
    if len(got) == 1 and isinstance(got[0], dict) and set(got[0]) == {"$what"}:
        raise CheckFailed(
            f"{where}: returns {explain.cap(str(got[0]['$what']), 80)}; the task asks for a "
            "tuple (tokens, lengths, mask, labels)"
        )
    if len(got) != len(FIELDS):
        raise Malformed("a call's outputs")
    want = expected(case)
    tensors = [_element(v, f"{where}: {field}") for v, (field, _) in zip(got, FIELDS, strict=True)]
    for t, (field, dtype), w in zip(tensors, FIELDS, want.as_tuple(), strict=True):
        if t.dtype != dtype:
            hint = {
                "lengths": " (lengths index and compare: torch.tensor(lengths) of ints, or "
                "dtype=torch.long)",
                "mask": " (a comparison such as positions < lengths gives bool)",
            }.get(field, "")
            raise CheckFailed(
                f"{where}: {field} has dtype {t.dtype}, expected {dtype}{hint}",
                field=field,
                dtype=str(t.dtype),
            )
        if tuple(t.shape) != tuple(w.shape):
            raise CheckFailed(
                f"{where}: {field} has shape {shape_text(t.shape)}, expected "
                f"{shape_text(w.shape)}{_width_hint(case, t, field)}",
                field=field,
                got_shape=list(t.shape),
                expected_shape=list(w.shape),
            )
    for t, (field, _), w in zip(tensors, FIELDS, want.as_tuple(), strict=True):
        if not torch.equal(t, w):
            raise CheckFailed(
                f"{where}: {field} differs from the correct {field} "
                f"({_first_difference(t, w)}): {_diagnose(case, tensors, want)}",
                field=field,
            )


def _width_hint(case: Case, got: torch.Tensor, field: str) -> str:
    """Why a padded width is wrong, where the usual mistakes explain it."""
    if field not in ("tokens", "mask") or got.dim() != 2 or case.multiple is None:
        return ""
    longest = max(len(t) for t in case.tokens)
    width = int(got.shape[1])
    if width == longest:
        return f": pad_to_multiple_of={case.multiple} is ignored; round {longest} up to a multiple"
    if width == (longest // case.multiple) * case.multiple:
        return (
            f": {longest} is rounded down; round up to the next multiple of {case.multiple} "
            f"({padded_length([longest], case.multiple)}), so that no token is cut off"
        )
    if (
        width == longest + case.multiple
        or width == padded_length([longest], case.multiple) + case.multiple
    ):
        return f": one block of {case.multiple} too many; a length that is already a multiple stays"
    return ""


def _first_difference(got: torch.Tensor, want: torch.Tensor) -> str:
    at = (got != want).nonzero()[0].tolist()
    index = ", ".join(map(str, at))
    return f"at [{index}] it is {got[tuple(at)].item()}, expected {want[tuple(at)].item()}"


def _diagnose(case: Case, got: list[torch.Tensor], want: Expected) -> str:
    """The usual mistake the returned tuple matches, replayed on this call."""
    tokens, lengths, mask, labels = got
    rank = sorted(range(len(case.tokens)), key=lambda i: -len(case.tokens[i]))
    ascending = sorted(range(len(case.tokens)), key=lambda i: len(case.tokens[i]))
    for order in (rank, ascending):
        moved = expected(case, order)
        if torch.equal(lengths, moved.lengths) and torch.equal(labels, moved.labels):
            return (
                "the samples are reordered by length; keep the batch's order, so that each "
                "row still belongs to its label and to the caller's indices"
            )
    by_value = want.tokens != case.pad_id
    if (not torch.equal(mask, want.mask) and torch.equal(mask, by_value)) or (
        not torch.equal(lengths, want.lengths) and torch.equal(lengths, by_value.sum(1))
    ):
        return (
            "the mask or the lengths come from comparing tokens with pad_id, but pad_id can "
            "be a real token too (here it is); take them from the lengths of the samples"
        )
    left = expected(case, side="left")
    if not torch.equal(left.mask, want.mask) and (
        torch.equal(tokens, left.tokens) or torch.equal(mask, left.mask)
    ):
        return "the padding is on the left; the task pads on the right (tokens first)"
    if torch.equal(mask, ~want.mask):
        return "the mask is inverted: True must mark the real tokens, False the padding"
    return "it matches none of the usual mistakes; compare with the statement"


def _sampler(name: str, case: SamplerCase, raw: list) -> str:
    """The sampler's batches for each seed: a partition of the indices, within the
    padded-token bound, grouping similar lengths, reproducible per seed and shuffled
    across seeds."""
    if len(raw) != len(case.seeds):
        raise Malformed("wrong number of sampler calls")
    n = len(case.lengths)
    runs: list[list[list[int]]] = []
    for seed, batches in zip(case.seeds, raw, strict=True):
        call = f"{name}(lengths, max_tokens={case.max_tokens}, seed={seed}) ({n} lengths)"
        if isinstance(batches, dict) and "$what" in batches:
            raise CheckFailed(
                f"{call} returns {explain.cap(str(batches['$what']), 120)}; the task asks for "
                "a list of batches, each a list of dataset indices (ints)"
            )
        if not isinstance(batches, list) or not all(
            isinstance(b, list) and all(type(i) is int for i in b) for b in batches
        ):
            raise Malformed("sampler batches")
        runs.append(batches)
        _partition(call, batches, n)
        _bound(call, batches, case)
    if runs[0] != runs[1]:
        raise CheckFailed(
            f"two calls of {name} with seed {case.seeds[0]} return different batches: draw "
            "every random choice from torch.Generator().manual_seed(seed), not from the "
            "global random state (random, torch.randperm without a generator)"
        )
    if runs[0] == runs[2] == runs[3]:
        raise CheckFailed(
            f"{name} returns the same batches in the same order for seeds "
            f"{', '.join(map(str, sorted(set(case.seeds))))}: shuffle the order of the "
            "batches with the seeded generator, so that each epoch sees them in another order",
        )
    padded = sum(len(b) * max(case.lengths[i] for i in b) for b in runs[0] if b)
    yardstick = greedy_padded(case.lengths, case.max_tokens)
    if padded > PADDING_SLACK * yardstick:
        raise CheckFailed(
            f"{name}'s batches hold {padded} padded tokens for {sum(case.lengths)} real ones; "
            f"sorting by length and cutting greedily needs {yardstick}, and the task allows "
            f"{PADDING_SLACK:g} times that: put samples of similar length together",
            padded=padded,
            greedy=yardstick,
        )
    return (
        f"{name} partitions {n} indices into batches of at most {case.max_tokens} padded "
        f"tokens ({padded} in all; sorting and cutting greedily needs {yardstick}), the same "
        "for the same seed and in another order for other seeds"
    )


def _partition(call: str, batches: list[list[int]], n: int) -> None:
    seen: dict[int, int] = {}
    for b in batches:
        if not b:
            raise CheckFailed(f"{call} returns an empty batch")
        for i in b:
            if not 0 <= i < n:
                raise CheckFailed(f"{call} returns index {i}, outside [0, {n})")
            seen[i] = seen.get(i, 0) + 1
    twice = sorted(i for i, c in seen.items() if c > 1)
    missing = sorted(set(range(n)) - set(seen))
    if twice:
        raise CheckFailed(
            f"{call} returns indices {', '.join(map(str, twice[:10]))} more than once; every "
            "index belongs to exactly one batch per epoch",
            duplicated=twice[:10],
        )
    if missing:
        raise CheckFailed(
            f"{call} leaves out indices {', '.join(map(str, missing[:10]))}"
            f"{' ...' if len(missing) > 10 else ''} ({len(missing)} of {n}): every index "
            "belongs to exactly one batch per epoch, the last, smaller batch included "
            "(is it dropped?)",
            missing=len(missing),
        )


def _bound(call: str, batches: list[list[int]], case: SamplerCase) -> None:
    for number, b in enumerate(batches, 1):
        longest = max(case.lengths[i] for i in b)
        if len(b) * longest > case.max_tokens:
            real = sum(case.lengths[i] for i in b)
            raise CheckFailed(
                f"{call}: batch {number} holds {len(b)} samples up to length {longest}, so "
                f"{len(b) * longest} tokens once padded, more than max_tokens="
                f"{case.max_tokens} (its real tokens are {real}: count the padded size, the "
                "batch size times its longest length)",
                batch=number,
                padded=len(b) * longest,
            )

"""The collate check's trusted half: the calls it draws from the seed, the tuple a
correct collate function returns, and the verdict on what a worker reports, for a
correct solution, each usual mistake (named by the message) and replies that lie
about their types; the sampler's properties (partition, padded-token bound, similar
lengths, one order per seed, another order for other seeds); and the spec's
validation. Fast: the verdicts are fed plain data, as the worker would send it,
and nothing runs in a sandbox."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from quizzer.bank.checks import spec_problems
from quizzer.bank.loader import validate_paths
from quizzer.bank.models import Coding, CollateSpec
from quizzer.judge.checks_collate import PADDING_SLACK, collate
from quizzer.judge.collate_cases import (
    cases,
    expected,
    greedy_padded,
    padded_length,
    sampler_case,
)
from quizzer.judge.facts import CheckFailed, Context, Malformed
from quizzer.judge.probes import collate_params, make_probes
from quizzer.judge.tensors import Foreign
from tests.judge_support import write_task_folder

SPEC = CollateSpec(sampler="bucket_batches")
TASK = Coding.model_validate(
    {
        "id": "pad-collate",
        "type": "coding",
        "topic": "data-loading",
        "difficulty": "medium",
        "prompt": "p",
        "explanation": "e",
        "class_name": "pad_collate",
        "starter": "starter.py",
        "reference": "reference.py",
        "variants": [{"path": "bad/x.py", "fails_at": "collate", "why": "w"}],
        "spec": {
            "entry": "function",
            "input_shape": ["B", 12],
            "output_shape": ["B", 12],
            "checks": ["load", "collate"],
            "collate": SPEC.model_dump(),
        },
    }
)
SEED = 11


def _ctx(seed: int = SEED) -> Context:
    return Context(task=TASK, probes=make_probes(TASK.spec, seed), device="cpu")


def _reply(out: tuple[torch.Tensor, ...]) -> list:
    """A collate tuple as the worker reports it: bool tensors as {"bool": uint8}."""
    return [{"bool": t.to(torch.uint8)} if t.dtype == torch.bool else t for t in out]


def bucket_batches(lengths, max_tokens, seed):
    """The task's reference sampler: sort, cut greedily, shuffle with the seed."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches, batch = [], []
    for i in order:
        if batch and (len(batch) + 1) * lengths[i] > max_tokens:
            batches.append(batch)
            batch = []
        batch.append(i)
    batches.append(batch)
    perm = torch.randperm(len(batches), generator=torch.Generator().manual_seed(seed))
    return [batches[j] for j in perm.tolist()]


def _sampler_reply(fn, seed: int = SEED) -> list:
    case = sampler_case(SPEC, seed)
    return [fn(list(case.lengths), case.max_tokens, s) for s in case.seeds]


def _data(collated=None, sampler=bucket_batches, seed: int = SEED) -> dict:
    calls = cases(SPEC, seed)
    return {
        "cases": [_reply((collated or expected)(c).as_tuple()) for c in calls],
        "sampler": _sampler_reply(sampler, seed),
    }


# --- the calls and the expected tuples --------------------------------------------


def test_the_calls_are_drawn_from_the_seed_and_probe_each_promise():
    first, again, other = cases(SPEC, 3), cases(SPEC, 3), cases(SPEC, 4)
    assert first is again or first == again
    lengths = [[len(t) for t in c.tokens] for c in first]
    assert lengths != [[len(t) for t in c.tokens] for c in other]
    by_what = {c.what: c for c in first}
    assert 1 in lengths[1] and by_what["one sample of length 1"].multiple == SPEC.multiple
    assert len(set(len(t) for t in by_what["every sample of one length"].tokens)) == 1
    long = by_what["one very long sample"]
    assert max(len(t) for t in long.tokens) == SPEC.long_length
    assert SPEC.long_length % SPEC.multiple != 0
    assert len(by_what["a batch of one"].tokens) == 1
    multiple = by_what["the longest already a multiple"]
    assert max(len(t) for t in multiple.tokens) % SPEC.multiple == 0
    shared = by_what["pad_id also a real token"]
    assert all(bool((t == shared.pad_id).any()) for t in shared.tokens)
    for case in first:
        ls = [len(t) for t in case.tokens]
        if len(set(ls)) > 1:  # a solution that sorts the batch shows on each of these
            assert ls not in (sorted(ls), sorted(ls, reverse=True))
        assert all(t.dtype == torch.int64 for t in case.tokens)


def test_the_expected_tuple_pads_on_the_right_and_rounds_up():
    case = next(c for c in cases(SPEC, 5) if c.what == "one very long sample")
    want = expected(case)
    width = padded_length([len(t) for t in case.tokens], case.multiple)
    assert width == 40 and want.tokens.shape == (len(case.tokens), 40)
    for row, seq in enumerate(case.tokens):
        assert torch.equal(want.tokens[row, : len(seq)], seq)
        assert bool((want.tokens[row, len(seq) :] == case.pad_id).all())
        assert int(want.mask[row].sum()) == len(seq) == int(want.lengths[row])
    assert [t.dtype for t in want.as_tuple()] == [torch.int64, torch.int64, torch.bool, torch.int64]
    assert want.labels.tolist() == list(case.labels)
    assert padded_length([16, 3], 8) == 16 and padded_length([17, 3], 8) == 24
    assert padded_length([5], None) == 5


def test_the_request_carries_the_calls_the_verdict_expects():
    params = collate_params(SPEC, SEED)
    planned = cases(SPEC, SEED)
    assert len(params["cases"]) == len(planned)
    for sent, case in zip(params["cases"], planned, strict=True):
        assert all(torch.equal(a, b) for a, b in zip(sent["tokens"], case.tokens, strict=True))
        assert (sent["labels"], sent["pad_id"], sent["multiple"]) == (
            list(case.labels),
            case.pad_id,
            case.multiple,
        )
    s = sampler_case(SPEC, SEED)
    assert params["sampler"] == {
        "name": "bucket_batches",
        "lengths": list(s.lengths),
        "max_tokens": SPEC.max_tokens,
        "seeds": list(s.seeds),
    }
    assert s.seeds[0] == s.seeds[1] and len(set(s.seeds)) == 3


# --- the verdict on collate tuples --------------------------------------------------


def test_a_correct_solution_passes():
    message, metrics = collate(_ctx(), _data(), None)
    assert "7 calls return exactly" in message and "bucket_batches partitions" in message
    assert metrics["calls"] == 7


def _left(case):
    return expected(case, side="left")


def _inverted(case):
    want = expected(case)
    return type(want)(want.tokens, want.lengths, ~want.mask, want.labels)


def _sorted(case):
    return expected(case, sorted(range(len(case.tokens)), key=lambda i: -len(case.tokens[i])))


def _by_value(case):
    want = expected(case)
    mask = want.tokens != case.pad_id
    return type(want)(want.tokens, mask.sum(1), mask, want.labels)


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        (_left, "the padding is on the left"),
        (_inverted, "the mask is inverted"),
        (_sorted, "the samples are reordered by length"),
        (_by_value, "come from comparing tokens with pad_id"),
    ],
)
def test_each_usual_mistake_fails_and_is_named(mistake, words):
    with pytest.raises(CheckFailed) as failed:
        collate(_ctx(), _data(collated=mistake), None)
    assert words in failed.value.message
    assert "call " in failed.value.message and "pad_id=" in failed.value.message


def test_float_lengths_fail_on_their_dtype():
    def floats(case):
        want = expected(case)
        return type(want)(want.tokens, want.lengths.float(), want.mask, want.labels)

    with pytest.raises(
        CheckFailed, match=r"lengths has dtype torch\.float32, expected torch\.int64"
    ):
        collate(_ctx(), _data(collated=floats), None)


def test_a_width_rounded_down_or_not_rounded_is_explained():
    case = next(c for c in cases(SPEC, SEED) if c.what == "one very long sample")
    for width, words in ((33, "is ignored"), (32, "is rounded down")):
        want = expected(case)
        cut = type(want)(want.tokens[:, :width], want.lengths, want.mask[:, :width], want.labels)
        data = _data()
        data["cases"] = [
            _reply(cut.as_tuple()) if c is case else d
            for c, d in zip(cases(SPEC, SEED), data["cases"], strict=True)
        ]
        with pytest.raises(CheckFailed, match=words):
            collate(_ctx(), data, None)


def test_a_reply_that_lies_about_its_types_never_passes():
    data = _data()
    data["cases"][0][0] = Foreign("pad.LyingTensor", True)
    with pytest.raises(CheckFailed, match=r"not a plain torch\.Tensor"):
        collate(_ctx(), data, None)
    data = _data()
    data["cases"][2] = [{"$what": "dict"}]
    with pytest.raises(CheckFailed, match="returns dict; the task asks for a tuple"):
        collate(_ctx(), data, None)
    data = _data()
    data["cases"][0][2] = {"bool": torch.full((6, 12), 7, dtype=torch.uint8)}
    with pytest.raises(Malformed):
        collate(_ctx(), data, None)
    data = _data()
    data["cases"] = data["cases"][:3]  # the worker stopped early, without an error
    with pytest.raises(Malformed):
        collate(_ctx(), data, None)


def test_an_exception_names_the_call_it_happened_in():
    data = _data()
    data["cases"] = data["cases"][:1]
    error = {"type": "RuntimeError", "message": "The expanded size of the tensor (8)"}
    with pytest.raises(CheckFailed) as failed:
        collate(_ctx(), data, error)
    assert "call 2 of pad_collate (one sample of length 1" in failed.value.message
    assert "RuntimeError" in failed.value.message


# --- the sampler --------------------------------------------------------------------


def _drops_last(lengths, max_tokens, seed):
    batches = bucket_batches(lengths, max_tokens, seed)
    smallest = min(range(len(batches)), key=lambda j: len(batches[j]))
    return batches[:smallest] + batches[smallest + 1 :]


def _real_tokens(lengths, max_tokens, seed):
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches, batch, used = [], [], 0
    for i in order:
        if batch and used + lengths[i] > max_tokens:
            batches.append(batch)
            batch, used = [], 0
        batch.append(i)
        used += lengths[i]
    return [*batches, batch]


def _global_shuffle(lengths, max_tokens, seed):
    batches = bucket_batches(lengths, max_tokens, seed)
    random.shuffle(batches)
    return batches


def _unshuffled(lengths, max_tokens, seed):
    return sorted(bucket_batches(lengths, max_tokens, seed))


def _unbucketed(lengths, max_tokens, seed):
    order = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(seed)).tolist()
    batches, batch = [], []
    for i in order:
        longest = max([lengths[j] for j in batch] + [lengths[i]])
        if batch and (len(batch) + 1) * longest > max_tokens:
            batches.append(batch)
            batch = []
        batch.append(i)
    return [*batches, batch]


def _twice(lengths, max_tokens, seed):
    batches = bucket_batches(lengths, max_tokens, seed)
    return [*batches, batches[0][:1]]


@pytest.mark.parametrize(
    ("sampler", "words"),
    [
        (_drops_last, "leaves out indices"),
        (_real_tokens, "count the padded size"),
        (_global_shuffle, "return different batches"),
        (_unshuffled, "the same batches in the same order for seeds"),
        (_unbucketed, "put samples of similar length together"),
        (_twice, "more than once"),
    ],
)
def test_each_sampler_mistake_fails(sampler, words):
    random.seed(0)
    with pytest.raises(CheckFailed, match=words):
        collate(_ctx(), _data(sampler=sampler), None)


def test_the_padding_yardstick_is_the_reference_greedy_bucketing():
    case = sampler_case(SPEC, SEED)
    batches = bucket_batches(list(case.lengths), case.max_tokens, 1)
    padded = sum(len(b) * max(case.lengths[i] for i in b) for b in batches)
    assert padded == greedy_padded(case.lengths, case.max_tokens) <= PADDING_SLACK * padded
    unbucketed = _unbucketed(list(case.lengths), case.max_tokens, 1)
    loose = sum(len(b) * max(case.lengths[i] for i in b) for b in unbucketed)
    assert loose > PADDING_SLACK * padded  # random batches waste about twice the tokens


def test_sampler_replies_that_are_not_batches_of_ints_never_pass():
    data = _data()
    data["sampler"][2] = {"$what": "a batch of float"}
    with pytest.raises(CheckFailed, match="a list of batches"):
        collate(_ctx(), data, None)
    data = _data()
    data["sampler"][0] = [[1.0, 2.0]]
    with pytest.raises(Malformed):
        collate(_ctx(), data, None)


# --- the spec -----------------------------------------------------------------------


def _problems(**spec) -> list[str]:
    fields = {**TASK.spec.model_dump(), **spec}
    task = Coding.model_validate({**TASK.model_dump(), "spec": fields})
    return [f"{'.'.join(map(str, at))}: {text}" for at, text in spec_problems(task)]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"collate": None}, "checks: check 'collate' needs a spec.collate section"),
        ({"entry": "module"}, "entry: check 'collate' calls a function"),
        ({"checks": ["load", "collate", "shapes"]}, "use checks [load, collate]"),
        ({"signature": ["batch", "pad_id"]}, "signature names 2 parameters"),
        ({"checks": ["load", "shapes"]}, "collate: spec.collate is read only by the 'collate'"),
    ],
)
def test_collate_specs_that_do_not_fit_are_problems(spec, words):
    assert any(words in m for m in _problems(**spec)), _problems(**spec)


def test_the_pad_collate_spec_fits():
    assert _problems() == []
    assert _problems(signature=["batch", "pad_id", "pad_to_multiple_of"]) == []


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"long_length": 10}, "long_length must be longer than max_length"),
        ({"max_tokens": 8}, "max_tokens must hold at least one sample"),
        ({"sampler": "not a name"}, "String should match pattern"),
    ],
)
def test_malformed_collate_fields_fail_the_schema(fields, words):
    with pytest.raises(ValueError, match=words):
        CollateSpec(**{"sampler": "s", **fields})


def test_validate_reports_a_collate_problem_at_its_yaml_line(tmp_path: Path):
    folder = tmp_path / "t"
    write_task_folder(
        folder,
        "      input_shape: [B, 4]\n"
        "      output_shape: [B, 4]\n"
        "      entry: module\n"
        "      checks: [load, collate]\n"
        "      collate: {sampler: bucket_batches}\n",
        class_name="pad_collate",
        fails_at="collate",
    )
    problems = validate_paths([folder], require_translations=False)
    hit = [p for p in problems if p.field == "spec.entry"]
    assert len(hit) == 1 and hit[0].line == 14, problems
    assert "check 'collate' calls a function: set entry: function" in hit[0].message

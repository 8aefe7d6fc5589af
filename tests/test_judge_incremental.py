"""The incremental check's trusted half, without a sandbox: the inputs and chunk
schedules it draws, and its verdict on what a worker relays, here produced by running
the bank's files in-process the way the harness drives the model host (the whole
sequence, then each schedule chunk by chunk, handing back the cache). The reference
and other correct styles pass; every known-bad variant fails; replies a hostile
worker could send (a missing run, a cache that is no pair of tensors, a reference
that failed) are never a pass."""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from quizzer.bank.loader import load_bank
from quizzer.bank.models import Coding
from quizzer.judge.checks_incremental import _reference_run, draw_inputs, incremental
from quizzer.judge.facts import CheckFailed, Context, Malformed, Unjudgeable
from quizzer.judge.plans import IncrementalPlan
from quizzer.judge.probes import make_probes
from quizzer.judge.tensors import Foreign
from quizzer.judge.worker.checks import perturb_tensors

# one worker builds the incremental plan once (a module fixture is built once per worker)
pytestmark = pytest.mark.xdist_group("judge-incremental")

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "questions" / "tasks" / "kv-cache-attention"
CASES = REPO / "tests" / "judge_cases"
TASK = load_bank([FOLDER], include_bundled=False).get("kv-cache-attention")
assert isinstance(TASK, Coding)
DTYPES = ("float32", "float64")


def _class(path: Path):
    spec = importlib.util.spec_from_file_location(f"kv_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CachedSelfAttention


def _relay(out) -> dict:
    y, cache = out
    return {"pair": True, "out": y, "cache": list(cache)}


def drive(cls, plan: IncrementalPlan, state: dict) -> dict:
    """What the worker relays for module `cls` with `state`, per dtype."""
    runs = []
    for dtype in DTYPES:
        model = cls(d_model=32, n_heads=4)
        model.load_state_dict(state)
        model.to(getattr(torch, dtype)).eval()
        x = plan.x.to(getattr(torch, dtype))
        with torch.no_grad():
            rec: dict = {"dtype": dtype, "full": _relay(model(x, None)), "schedules": []}
            for schedule in plan.schedules:
                chunks, cache, start = [], None, 0
                for n in schedule:
                    out = model(x[:, start : start + n], cache)
                    chunks.append(_relay(out))
                    cache, start = tuple(out[1]), start + n
                rec["schedules"].append(chunks)
        runs.append(rec)
    return {"runs": runs}


@functools.cache
def planned(seed: int) -> IncrementalPlan:
    """The plan the runner makes: the reference solution's state and runs."""
    drawn = draw_inputs(TASK, seed)
    reference = _class(FOLDER / "reference.py")
    torch.manual_seed(seed)
    state = perturb_tensors(reference(d_model=32, n_heads=4).state_dict(), seed + 1)
    relayed = drive(reference, drawn, state)
    runs = tuple(_reference_run(rec, drawn) for rec in relayed["runs"])
    return replace(drawn, state=state, runs=runs)


def verdict(plan: IncrementalPlan, data: dict, error: dict | None = None):
    ctx = Context(task=TASK, probes=make_probes(TASK.spec, 0), device="cpu", inc=plan)
    return incremental(ctx, data, error)


@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: torch's thread pool only costs time on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def plan() -> IncrementalPlan:
    return planned(7)


def test_the_schedules_cover_one_token_a_prompt_and_uneven_chunks():
    for seed in range(30):
        drawn = draw_inputs(TASK, seed)
        length = drawn.x.shape[1]
        assert 5 <= length <= 9 and drawn.x.shape == (2, length, 32)
        ones, prompt, uneven = drawn.schedules
        assert ones == (1,) * length
        assert 2 <= prompt[0] <= length - 2 and set(prompt[1:]) == {1}
        assert sum(uneven) == length and uneven[1] >= 2 and max(uneven) <= 3


CORRECT = [
    FOLDER / "reference.py",
    CASES / "kv_alt_sdpa_mask" / "submission.py",
    CASES / "kv_alt_einsum_empty_cache" / "submission.py",
]


@pytest.mark.parametrize("path", CORRECT, ids=[p.parent.name for p in CORRECT])
def test_correct_solutions_pass(plan, path):
    message, metrics = verdict(plan, drive(_class(path), plan, plan.state))
    assert "gives the reference solution's outputs and caches in float32, float64" in message
    assert float(metrics["max_error"]) < 1e-4  # type: ignore[arg-type]


#: The known-bad variants (but the one the forbidden_api check stops) and a module that
#: is wrong the same way with and without a cache. (The forgeries patch torch: they
#: run only in a sandbox, in tests/judge_cases.)
BAD = [p for p in sorted((FOLDER / "bad").glob("*.py")) if p.stem != "uses_nn_mha"]
BAD.append(CASES / "kv_consistent_garbage" / "submission.py")


@pytest.mark.parametrize(
    "path", BAD, ids=[p.stem if p.stem != "submission" else p.parent.name for p in BAD]
)
def test_wrong_solutions_fail_on_every_seed(path):
    cls = _class(path)
    for seed in (1, 2, 3):
        plan = planned(seed)
        try:
            data = drive(cls, plan, plan.state)
        except RuntimeError:  # the worker reports the exception: a failure too
            continue
        with pytest.raises(CheckFailed):
            verdict(plan, data)


def test_a_reference_that_failed_makes_the_check_an_error_never_a_pass(plan):
    with pytest.raises(Unjudgeable, match=r"reference solution reference\.py failed"):
        verdict(replace(plan, problem="it raised"), {"runs": []})


def test_a_reference_whose_chunks_disagree_with_its_whole_sequence_is_refused(plan):
    relayed = drive(_class(FOLDER / "reference.py"), plan, plan.state)
    rec = relayed["runs"][0]
    rec["schedules"][0][1]["out"] = rec["schedules"][0][1]["out"] + 1.0
    with pytest.raises(Malformed, match="chunked output differs"):
        _reference_run(rec, plan)


def test_missing_runs_or_chunks_are_malformed(plan):
    data = drive(_class(FOLDER / "reference.py"), plan, plan.state)
    with pytest.raises(Malformed):
        verdict(plan, {"runs": data["runs"][:1]})
    cut = dict(data["runs"][1], schedules=[s[:-1] for s in data["runs"][1]["schedules"]])
    with pytest.raises(Malformed):
        verdict(plan, {"runs": [data["runs"][0], cut]})
    with pytest.raises(Malformed):
        verdict(plan, {"runs": "all passed"})


def test_outputs_that_are_not_a_pair_or_a_cache_that_is_not_tensors_fail(plan):
    data = drive(_class(FOLDER / "reference.py"), plan, plan.state)
    full = data["runs"][0]["full"]
    for changed, words in [
        ({"pair": False, "out": full["out"]}, "it must return a pair (y, (k, v))"),
        ({"cache": Foreign("builtins.NoneType", False)}, "as its cache"),
        ({"cache": [Foreign("CheatTensor", True), full["cache"][1]]}, "a subclass of torch.Tensor"),
        ({"out": full["out"].float()}, "the model runs in torch.float64"),
        ({"out": full["out"][:, :-1]}, "has shape"),
    ]:
        runs = [data["runs"][0], dict(data["runs"][1], full={**data["runs"][1]["full"], **changed})]
        with pytest.raises(CheckFailed) as failed:
            verdict(plan, {"runs": runs})
        assert words in failed.value.message


def test_a_load_state_error_says_so(plan):
    error = {"type": "RuntimeError", "message": "Missing key(s) in state_dict", "op": "load_state"}
    with pytest.raises(CheckFailed, match="loading the judge's state into CachedSelfAttention"):
        verdict(plan, {"runs": []}, error)

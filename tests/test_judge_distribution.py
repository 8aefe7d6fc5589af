"""The distribution check's trusted half, without a sandbox: the target distribution
of temperature, top-k and top-p sampling (ties at both boundaries, the top token
always kept), the pooled chi-square test and its p-value, how often a correct sampler
fails (never on 200 seeds at the task's alpha; about alpha at a loose one), how surely
each known-bad sampler of the bank fails, and what the verdict makes of replies a
hostile worker could send."""

from __future__ import annotations

import importlib.util
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from quizzer.bank.loader import load_bank
from quizzer.bank.models import Coding
from quizzer.judge.checks_dist import distribution, plan_distribution
from quizzer.judge.facts import CheckFailed, Context, Malformed
from quizzer.judge.plans import DistPlan
from quizzer.judge.probes import make_probes
from quizzer.judge.stats import chi_square, chi_square_sf, pool, target_distribution
from quizzer.judge.tensors import Foreign

# one worker builds the honest plan once (a module fixture is built once per worker)
pytestmark = pytest.mark.xdist_group("judge-distribution")

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "questions" / "tasks" / "sampling"
TASK = load_bank([FOLDER], include_bundled=False).get("sampling")
assert isinstance(TASK, Coding)


def _probs(values: list[float]) -> torch.Tensor:
    """Logits whose softmax is `values` (which sum to 1)."""
    return torch.tensor(values, dtype=torch.float64).log()


# --- the target distribution -----------------------------------------------------------


def test_temperature_divides_the_logits():
    logits = torch.tensor([0.0, math.log(2.0)])
    assert torch.allclose(
        target_distribution(logits, 1.0, 0, 1.0), torch.tensor([1 / 3, 2 / 3]).double()
    )
    assert torch.allclose(
        target_distribution(logits, 0.5, 0, 1.0), torch.tensor([0.2, 0.8]).double()
    )


def test_top_k_keeps_every_token_tied_with_the_kth():
    probs = target_distribution(torch.tensor([3.0, 2.0, 2.0, 1.0]), 1.0, 2, 1.0)
    assert probs[3] == 0 and bool((probs[:3] > 0).all())
    assert torch.allclose(probs[1], probs[2])
    assert target_distribution(torch.tensor([3.0, 2.0, 1.0]), 1.0, 1, 1.0).tolist() == [1, 0, 0]


@pytest.mark.parametrize(
    ("top_p", "kept"),
    [(0.01, 1), (0.45, 1), (0.55, 2), (0.79, 2), (0.81, 3), (0.99, 3)],
)
def test_top_p_keeps_the_token_that_reaches_it(top_p, kept):
    probs = target_distribution(_probs([0.5, 0.3, 0.2]), 1.0, 0, top_p)
    assert int((probs > 0).sum()) == kept
    assert math.isclose(float(probs.sum()), 1.0)


def test_top_p_keeps_every_token_tied_with_the_one_that_reaches_it():
    # the running total reaches 0.5 at the first 0.2: the other 0.2 is kept with it
    probs = target_distribution(_probs([0.4, 0.2, 0.2, 0.1, 0.1]), 1.0, 0, 0.5)
    assert [p > 0 for p in probs.tolist()] == [True, True, True, False, False]
    assert torch.allclose(probs[:3], torch.tensor([0.5, 0.25, 0.25]).double())


def test_top_p_runs_on_the_top_k_distribution_renormalised():
    # top-2 of [0.4, 0.3, 0.3 / 10 each] renormalised is [4/7, 3/7]: top_p 0.5 keeps one
    logits = _probs([0.4, 0.3, 0.1, 0.1, 0.1])
    assert int((target_distribution(logits, 1.0, 2, 0.5) > 0).sum()) == 1
    # on the whole softmax 0.4 < 0.5, which would keep two
    assert int((target_distribution(logits, 1.0, 0, 0.5) > 0).sum()) == 2


# --- the chi-square test -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statistic", "df", "p_value"),
    [(3.841459, 1, 0.05), (5.991465, 2, 0.05), (18.307038, 10, 0.05), (6.634897, 1, 0.01)],
)
def test_the_p_value_is_the_chi_square_tail(statistic, df, p_value):
    assert math.isclose(chi_square_sf(statistic, df), p_value, rel_tol=1e-5)


def test_the_two_degree_tail_is_an_exponential():
    for x in (0.5, 3.0, 40.0):
        assert math.isclose(chi_square_sf(x, 2), math.exp(-x / 2), rel_tol=1e-10)


def test_pooling_groups_small_cells_until_each_expects_the_minimum():
    expected = torch.tensor([500.0, 300.0, 60.0, 50.0, 40.0, 30.0, 15.0, 5.0, 0.0])
    groups = pool(expected, 100.0)
    assert sorted(t for g in groups for t in g) == list(range(8))  # probability 0: left out
    assert all(float(expected[g].sum()) >= 100 for g in groups)
    assert pool(torch.tensor([10.0, 20.0]), 100.0) == [[0, 1]]  # one group: a point mass


def test_a_point_mass_has_nothing_to_test():
    fit = chi_square(torch.tensor([1.0, 0.0]), torch.tensor([2000, 0]), 100.0)
    assert fit.df == 0 and fit.p_value == 1.0


def test_counts_far_from_the_target_get_a_tiny_p_value():
    probs = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
    fit = chi_square(probs, torch.tensor([1000, 1000, 0]), 100.0)
    assert fit.p_value < 1e-100 and fit.worst()[0] == (2,)
    assert chi_square(probs, torch.tensor([1000, 600, 400]), 100.0).p_value == 1.0


# --- the verdict, driven in-process as the harness and model host drive a sampler ------


def drive(sampler, plan: DistPlan) -> dict:
    """What the worker sends for `sampler`: per case, three calls on the case's rows
    repeated `draws` times (a generator seeded by the judge; the same seed after the
    global RNG was reseeded; the same generator again), and which calls changed the
    logits."""
    cases = []
    for case in plan.cases:
        gen = torch.Generator()
        draws, changed = [], []
        for index, (seed, reseed) in enumerate(
            [(case.seed, case.global_seeds[0]), (case.seed, case.global_seeds[1]), (None, 0)]
        ):
            logits = case.logits.repeat(plan.draws, 1)
            kept = logits.clone()
            if seed is not None:
                gen = torch.Generator().manual_seed(seed)
            torch.manual_seed(reseed if index < 2 else case.global_seeds[0])
            draws.append(sampler(logits, case.temperature, case.top_k, case.top_p, gen))
            if not torch.equal(logits, kept):
                changed.append(0)
        cases.append({"draws": draws, "changed": changed})
    return {"cases": cases}


#: The verdict reads only the plan: one context serves every seed.
CONTEXT = Context(task=TASK, probes=make_probes(TASK.spec, 0), device="cpu")


def verdict(data: dict, plan: DistPlan) -> tuple[str, dict]:
    return distribution(replace(CONTEXT, dist=plan), data, None)


@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: torch's thread pool only costs time on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"sampling_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sample


def honest_reply(plan: DistPlan, gen: torch.Generator) -> dict:
    """What a correct sampler sends, drawn straight from the targets: the first call,
    the same draws again, then fresh ones from the advanced generator."""
    cases = []
    for case in plan.cases:
        calls = []
        for _ in range(2):
            rows = [torch.multinomial(t, plan.draws, True, generator=gen) for t in case.target]
            calls.append(torch.stack(rows, 1).reshape(-1))  # row i of the batch: i % 2
        cases.append({"draws": [calls[0], calls[0].clone(), calls[1]], "changed": []})
    return {"cases": cases}


@pytest.mark.slow
def test_a_correct_sampler_never_fails_on_200_seeds():
    """The exact distribution, sampled by torch.multinomial: 200 seeds x 10 cases x 2
    rows = 4000 tests at alpha 1e-6 each, so a failure here would be a bug, not bad
    luck (the chance of one is below 1%)."""
    smallest = 1.0
    for seed in range(200):
        plan = plan_distribution(TASK, seed)
        reply = honest_reply(plan, torch.Generator().manual_seed(seed))
        _, metrics = verdict(reply, plan)
        smallest = min(smallest, float(metrics["smallest_p_value"]))  # type: ignore[arg-type]
    assert smallest > 1e-6


def test_at_a_loose_alpha_a_correct_sampler_fails_about_that_often():
    """With cells pooled to 100 expected draws the chi-square test is honest: at alpha
    0.05, 50 seeds x 20 rows fail about 50 times (with probability above 0.999 a
    binomial of 1000 x 0.05 lies in [28, 74])."""
    fails = 0
    for seed in range(50):
        plan = plan_distribution(TASK, 1000 + seed)
        gen = torch.Generator().manual_seed(seed)
        for case in plan.cases:
            for row in range(2):
                ids = torch.multinomial(case.target[row], plan.draws, True, generator=gen)
                counts = torch.bincount(ids, minlength=case.target.shape[1])
                fit = chi_square(case.target[row], counts, 100.0)
                # a point mass has nothing to test: count it as an honest draw
                fails += fit.df > 0 and fit.p_value < 0.05
    assert 28 <= fails <= 74, fails


BAD = sorted((FOLDER / "bad").glob("*.py"))
#: Seeds per known-bad sampler: each must fail on all of them.
SEEDS = 5


@pytest.mark.slow  # runs each sampler 150 times on batches of 4000 rows
@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_each_known_bad_sampler_fails_on_every_seed(path: Path):
    sampler = _module(path)
    with torch.random.fork_rng(devices=[]):
        for seed in range(SEEDS):
            plan = plan_distribution(TASK, 500 + seed)
            try:
                data = drive(sampler, plan)
            except RuntimeError:  # the worker reports the exception: a failure too
                continue
            with pytest.raises(CheckFailed):
                verdict(data, plan)


def test_the_reference_passes_in_process():
    sampler = _module(FOLDER / "reference.py")
    plan = plan_distribution(TASK, 3)
    message, _ = verdict(drive(sampler, plan), plan)
    assert "10 cases x 2 logits rows x 2000 draws follow the target distribution" in message


# --- replies a hostile worker could send ----------------------------------------------


@pytest.fixture(scope="module")
def honest() -> tuple[DistPlan, dict]:
    plan = plan_distribution(TASK, 11)
    return plan, honest_reply(plan, torch.Generator().manual_seed(11))


def _with(data: dict, case: int, call: int, value) -> dict:
    cases = [dict(c, draws=list(c["draws"])) for c in data["cases"]]
    cases[case]["draws"][call] = value
    return {"cases": cases}


def test_ids_of_another_dtype_or_shape_fail(honest):
    plan, data = honest
    ids = data["cases"][0]["draws"][0]
    for wrong, words in [
        (ids.float(), "dtype torch.float32"),
        (ids[:, None], "(squeeze the sample dimension)"),
        (ids[:-1], "one id per row"),
        (ids + 100, "ids outside"),
        (Foreign("CheatTensor", True), "a subclass of torch.Tensor"),
    ]:
        with pytest.raises(CheckFailed) as failed:
            verdict(_with(data, 0, 0, wrong), plan)
        assert words in failed.value.message


def test_a_draw_of_a_token_with_probability_zero_fails_at_once(honest):
    plan, data = honest
    case = next(i for i, c in enumerate(plan.cases) if c.kind == "top_k_1")
    ids = data["cases"][case]["draws"][0].clone()
    removed = int((plan.cases[case].target[0] == 0).nonzero()[0])
    ids[0] = removed
    with pytest.raises(CheckFailed) as failed:
        verdict(_with(data, case, 0, ids), plan)
    assert "it has probability 0" in failed.value.message


def test_draws_that_do_not_repeat_for_a_seed_fail(honest):
    plan, data = honest
    again = data["cases"][0]["draws"][2]  # another honest draw: not the first repeated
    with pytest.raises(CheckFailed) as failed:
        verdict(_with(data, 0, 1, again), plan)
    assert "generators seeded alike draw different ids" in failed.value.message


def test_a_missing_case_or_call_is_malformed_never_a_pass(honest):
    plan, data = honest
    with pytest.raises(Malformed):
        verdict({"cases": data["cases"][:-1]}, plan)
    short = [dict(c, draws=c["draws"][:2]) for c in data["cases"]]
    with pytest.raises(Malformed):
        verdict({"cases": short}, plan)
    with pytest.raises(Malformed):
        verdict({"cases": "all passed"}, plan)

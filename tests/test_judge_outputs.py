"""Tuple outputs (`spec.outputs`): the model host packs the elements an entry returns
into one tensor (integers cast, a scalar repeated as a column), every check then sees
one output, a failing comparison names the element, and `bank validate` refuses a
spec whose elements cannot fill `output_shape`. Also `reference.zero_vectors`, the
padding tokens that probe how a router breaks ties. Fast: nothing runs in a sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from quizzer.bank.checks import spec_problems
from quizzer.bank.loader import validate_paths
from quizzer.bank.models import Coding, JudgeSpec
from quizzer.judge.checks_ref import _packed_element
from quizzer.judge.equivalence import trial_inputs
from quizzer.judge.facts import Context
from quizzer.judge.plans import Trial
from quizzer.judge.probes import make_probes
from quizzer.judge.worker.packing import pack_outputs, plain_outputs
from tests.judge_support import write_task_folder

ROUTER = [
    {"name": "weights", "dtype": "float", "scalar": False},
    {"name": "indices", "dtype": "int64", "scalar": False},
    {"name": "aux_loss", "dtype": "float", "scalar": True},
]
OUTPUTS = [
    {"name": "weights", "width": "k"},
    {"name": "indices", "width": "k", "dtype": "int64"},
    {"name": "aux_loss"},
]


def _router_out(dtype=torch.float32):
    weights = torch.tensor([[[0.7, 0.3], [0.6, 0.4], [0.5, 0.5]]], dtype=dtype)
    indices = torch.tensor([[[2, 0], [1, 3], [0, 1]]])
    return weights, indices, torch.tensor(1.25, dtype=dtype)


def test_a_tuple_is_packed_along_the_last_dimension_with_the_scalar_as_a_column():
    weights, indices, loss = _router_out()
    packed = pack_outputs((weights, indices, loss), ROUTER)
    assert packed.shape == (1, 3, 5) and packed.dtype == torch.float32
    assert torch.equal(packed[..., :2], weights)
    assert torch.equal(packed[..., 2:4], indices.float())
    assert torch.equal(packed[..., 4], torch.full((1, 3), 1.25))


def test_the_packed_output_keeps_the_gradients_of_every_floating_element():
    w = torch.rand(4, 2, dtype=torch.float64, requires_grad=True)
    loss = (w**2).sum()
    packed = pack_outputs([w * 3, torch.zeros(4, 2, dtype=torch.long), loss], ROUTER)
    assert packed.dtype == torch.float64
    packed.sum().backward()
    # d/dw of sum(3 w) is 3; the loss column repeats 4 times: 4 * 2 w
    assert torch.allclose(w.grad, 3 + 8 * w.detach())


@pytest.mark.parametrize(
    ("out", "words"),
    [
        (torch.zeros(1, 3, 5), "the task asks for a tuple (weights, indices, aux_loss); got a"),
        ((torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.long)), "got tuple"),
        ((torch.zeros(3, 2), [[0, 1]] * 3, torch.tensor(1.0)), "indices must be a torch.Tensor"),
        ((torch.zeros(3, 2), torch.zeros(3, 2), torch.tensor(1.0)), "indices must be an int64"),
        (
            (torch.zeros(3, 2, dtype=torch.long),) * 2 + (torch.tensor(1.0),),
            "weights must be a floating-point tensor",
        ),
        (
            (torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.long), torch.ones(3)),
            "aux_loss must be a scalar (0-d tensor)",
        ),
        (
            (torch.zeros(3, 2), torch.zeros(4, 2, dtype=torch.long), torch.tensor(1.0)),
            "its leading dimensions must be those of weights, (3,)",
        ),
    ],
)
def test_a_return_value_of_another_form_is_refused_naming_the_element(out, words):
    with pytest.raises((TypeError, ValueError)) as raised:
        pack_outputs(out, ROUTER)
    assert words in str(raised.value)


def test_plain_outputs_carry_bools_as_uint8_and_describe_anything_else():
    mask = torch.tensor([[True, False]])
    got = plain_outputs((torch.ones(1, 2, dtype=torch.long), mask, [1], 3.0), 4)
    assert torch.equal(got[0], torch.ones(1, 2, dtype=torch.long))
    assert got[1]["bool"].dtype == torch.uint8 and got[1]["bool"].tolist() == [[1, 0]]
    assert got[2] == {"$what": "list"} and got[3] == {"$what": "float"}
    assert plain_outputs({"tokens": 1}, 4) == [{"$what": "dict"}]


BASE = {
    "id": "outputs-probe",
    "type": "coding",
    "topic": "tasks",
    "difficulty": "easy",
    "prompt": "p",
    "explanation": "e",
    "class_name": "Router",
    "starter": "starter.py",
    "reference": "reference.py",
    "variants": [{"path": "bad/x.py", "fails_at": "load", "why": "w"}],
}


def _task(**spec) -> Coding:
    fields = {
        "input_shape": ["B", 6, 8],
        "output_shape": ["B", 6, 5],
        "init": {"d_model": 8, "num_experts": 4, "k": 2},
        "outputs": OUTPUTS,
        "checks": ["load", "shapes", "reference"],
        **spec,
    }
    return Coding.model_validate({**BASE, "spec": fields})


def _messages(**spec) -> list[str]:
    return [f"{'.'.join(map(str, at))}: {text}" for at, text in spec_problems(_task(**spec))]


def test_the_router_spec_fits():
    assert _messages() == []
    configs = [{"init": {"k": 3}}, {"input_shape": ["B", 8]}]
    assert _messages(reference={"trials": 3, "configs": configs}) == []


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"output_shape": ["B", 6, 4]}, "output_shape: the packed outputs are 2 + 2 + 1 = 5 wide"),
        ({"init": {"d_model": 8, "num_experts": 4}}, "outputs.0.width: width 'k' names a"),
        (
            {"reference": {"trials": 2, "configs": [{"init": {"k": 2.5}}]}},
            "reference.configs[0].init must give it as a whole number",
        ),
        ({"outputs": [{"name": "weights", "width": 5}]}, "list two elements or more"),
        (
            {"outputs": [{"name": "a", "width": 4}, {"name": "a"}], "output_shape": ["B", 6, 5]},
            "outputs.1.name: output name 'a' is used twice",
        ),
        (
            {
                "outputs": [
                    {"name": "a", "width": 4, "dtype": "int64"},
                    {"name": "b", "dtype": "int64"},
                ]
            },
            "at least one element must be floating point",
        ),
        (
            {"outputs": [{"name": "a"}, {"name": "b"}], "output_shape": ["B", 2]},
            "at least one element needs a width",
        ),
        (
            {"checks": ["load", "learning"], "output_shape": ["B", 5]},
            "check 'learning' reads one output",
        ),
    ],
)
def test_outputs_that_cannot_be_packed_are_problems(spec, words):
    assert any(words in m for m in _messages(**spec)), _messages(**spec)


def test_validate_reports_an_output_problem_at_its_yaml_line(tmp_path: Path):
    folder = tmp_path / "t"
    write_task_folder(
        folder,
        "      input_shape: [B, 8]\n"
        "      output_shape: [B, 5]\n"
        "      init: {d_model: 8, k: 2}\n"
        "      outputs:\n"
        "        - {name: weights, width: top_k}\n"
        "        - {name: loss}\n",
        class_name="Router",
    )
    problems = validate_paths([folder], require_translations=False)
    hit = [p for p in problems if p.field == "spec.outputs[0].width"]
    assert len(hit) == 1 and hit[0].line == 16, problems
    assert "width 'top_k' names a constructor argument" in hit[0].message


def test_a_failing_column_is_named_by_its_element_in_each_configuration():
    task = _task(reference={"trials": 2, "configs": [{"init": {"k": 3}}]})
    ctx = Context(task=task, probes=make_probes(task.spec, 0), device="cpu")
    own = Trial((), 1.0, None, ())
    wider = Trial((), 1.0, None, (), config=task.spec.reference.configs[0])
    assert "that is weights, column 1" in _packed_element(ctx, own, [0, 0, 1])
    assert "that is indices, column 0" in _packed_element(ctx, own, [0, 0, 2])
    assert "that is aux_loss:" in _packed_element(ctx, own, [0, 0, 4])
    assert "that is weights, column 2" in _packed_element(ctx, wider, [0, 0, 2])
    assert "that is indices, column 2" in _packed_element(ctx, wider, [0, 0, 5])
    plain = Coding.model_validate(
        {**BASE, "spec": {"input_shape": ["B", 4], "output_shape": ["B", 2]}}
    )
    plain_ctx = Context(task=plain, probes=make_probes(plain.spec, 0), device="cpu")
    assert _packed_element(plain_ctx, own, [0, 1]) == ""


def test_zero_vectors_are_padding_tokens_in_every_trial_and_the_seed_places_them():
    spec = JudgeSpec.model_validate(
        {
            "input_shape": ["B", 6, 8],
            "output_shape": ["B", 6, 8],
            "reference": {"trials": 3, "zero_vectors": 3, "configs": [{"input_shape": ["B", 2]}]},
        }
    )
    places = []
    for xs, _ in trial_inputs(spec, seed=7):
        tokens = xs[0].reshape(-1, xs[0].shape[-1])
        zero = (tokens == 0).all(dim=-1)
        # at most half of a trial's tokens: the (5, 2) configuration has 5, so 2
        assert int(zero.sum()) == min(3, tokens.shape[0] // 2)
        assert bool((tokens[~zero] != 0).all())
        places.append(zero.nonzero().flatten().tolist())
    again = [
        (xs[0].reshape(-1, xs[0].shape[-1]) == 0).all(-1).nonzero().flatten().tolist()
        for xs, _ in trial_inputs(spec, seed=7)
    ]
    assert again == places
    other = [
        (xs[0].reshape(-1, xs[0].shape[-1]) == 0).all(-1).nonzero().flatten().tolist()
        for xs, _ in trial_inputs(spec, seed=8)
    ]
    assert other != places
    plain = spec.model_copy(
        update={"reference": spec.reference.model_copy(update={"zero_vectors": 0})}
    )
    for xs, _ in trial_inputs(plain, seed=7):
        assert bool((xs[0] != 0).all())

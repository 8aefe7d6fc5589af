"""A design task's spec: a parameter budget (`max_parameters`), a least number of
convolution layers (`min_conv_layers`, trainable weights with four dimensions), both
judged at load from the parameters the worker lists, and the `dotted_lines` learning
batch, whose classes only structure wider than one 3x3 window tells apart."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from pydantic import ValidationError

from quizzer.bank.models import Coding
from quizzer.judge import checks_basic
from quizzer.judge.facts import CheckFailed, Context
from quizzer.judge.probes import DOT_GAP, DOTS, make_probes
from tests.test_bank_spec import BASE

CNN = {
    "input_shape": ["B", 1, 16, 16],
    "output_shape": ["B", 4],
    "max_parameters": 1000,
    "min_conv_layers": 2,
    "learning": {"data": "dotted_lines", "batch_size": 64},
}


def _task(**spec: Any) -> Coding:
    return Coding.model_validate({**BASE, "class_name": "Net", "spec": {**CNN, **spec}})


def _load(params: list, **spec: Any):
    coding = _task(**spec)
    ctx = Context(task=coding, probes=make_probes(coding.spec, 1), device="cpu")
    data = {
        "classes": ["Net"],
        "functions": [],
        "found": True,
        "is_module": True,
        "params": params,
        "layers": ["Net"],
    }
    return checks_basic.load(ctx, data, None)


CONV1 = ["conv1.weight", [4, 1, 3, 3], True, "torch.float32"]
CONV2 = ["conv2.weight", [8, 4, 3, 3], True, "torch.float32"]
FC = ["fc.weight", [4, 32], True, "torch.float32"]


def test_a_model_within_the_budget_with_two_convolutions_loads():
    message, metrics = _load([CONV1, CONV2, FC])
    assert metrics["parameters"] == 36 + 288 + 128
    assert "built" in message


def test_over_the_budget_the_message_says_the_count_the_budget_and_the_largest():
    big = ["fc.weight", [4, 512], True, "torch.float32"]
    with pytest.raises(CheckFailed, match=r"has 2,372 trainable parameters; the budget is 1,000"):
        _load([CONV1, CONV2, big])
    with pytest.raises(CheckFailed, match=r"fc.weight \(4, 512\)"):
        _load([CONV1, CONV2, big])


def test_frozen_parameters_do_not_count_against_the_budget():
    frozen = ["emb.weight", [4, 512], False, "torch.float32"]
    _load([CONV1, CONV2, FC, frozen])


def test_one_convolution_is_not_enough_and_the_message_names_it():
    with pytest.raises(CheckFailed, match=r"has 1 convolution layer \(conv1.weight\).*at least 2"):
        _load([CONV1, FC])
    with pytest.raises(CheckFailed, match="no trainable weight with four dimensions"):
        _load([FC])


def test_without_the_fields_nothing_is_counted():
    big = ["fc.weight", [4, 512], True, "torch.float32"]
    _load([big], max_parameters=None, min_conv_layers=None)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"input_shape": ["B", 256]}, "needs input_shape [B, C, H, W]"),
        ({"input_shape": ["B", 1, 8, 16]}, "H and W >= 12"),
        ({"output_shape": ["B", 5]}, "2 to 4 classes"),
        ({"learning": {"data": "dotted_lines", "loss": "mse"}}, "loss cross_entropy"),
        ({"entry": "function", "signature": ["x"]}, "for module entries only"),
        ({"learning": {"data": "stripes"}}, "templates"),
    ],
)
def test_specs_that_do_not_fit_the_design_fields_fail(spec, words):
    with pytest.raises(ValidationError, match=words.replace("[", r"\[")):
        _task(**spec)


def _batch(seed: int = 3):
    probes = make_probes(_task().spec, seed)
    return probes.learn_x, probes.learn_y


def test_the_dotted_lines_are_balanced_and_drawn_from_the_seed():
    x, y = _batch()
    assert x.shape == (64, 1, 16, 16) and x.dtype == torch.float32
    assert torch.bincount(y, minlength=4).tolist() == [16] * 4
    again, _ = _batch()
    other, _ = _batch(4)
    assert torch.equal(x, again) and not torch.equal(x, other)


def test_each_image_holds_one_dotted_line_in_its_class_direction():
    """The brightest four dots on a line in each direction: the class's direction wins
    by far (the line's dots are at least 1 bright, the noise has sd 0.2)."""
    x, y = _batch()
    span = DOT_GAP * (DOTS - 1)
    row, col, diag = (
        torch.zeros(1, span + 1),
        torch.zeros(span + 1, 1),
        torch.zeros(span + 1, span + 1),
    )
    for k in range(0, span + 1, DOT_GAP):
        row[0, k] = col[k, 0] = diag[k, k] = 1
    kernels = (row, col, diag, diag.flip(1))
    best = torch.stack(
        [torch.nn.functional.conv2d(x, k[None, None]).amax(dim=(1, 2, 3)) for k in kernels], 1
    )
    assert torch.equal(best.argmax(1), y)
    top2 = best.topk(2, dim=1).values
    assert float((top2[:, 0] - top2[:, 1]).min()) > 1.0


def test_pixel_statistics_do_not_tell_the_classes_apart():
    x, y = _batch()
    means = torch.stack([x[y == k].mean() for k in range(4)])
    assert float(means.max() - means.min()) < 0.02

"""Judge specs whose fields do not fit together are bank problems with a position and a
fix: a check without its section, a train_step task that is not a function, learning
for an entry without parameters, a signature that does not match the inputs, and so
on. The new fields (entry, init, extra_inputs, reference, dropout, train_step) parse
from YAML with their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from quizzer.bank.checks import spec_problems
from quizzer.bank.loader import validate_paths
from quizzer.bank.models import Coding, JudgeSpec
from tests.judge_support import write_task_folder

BASE = {
    "id": "spec-probe",
    "type": "coding",
    "topic": "tasks",
    "difficulty": "easy",
    "prompt": "p",
    "explanation": "e",
    "class_name": "f",
    "starter": "starter.py",
    "reference": "reference.py",
    "variants": [{"path": "bad/x.py", "fails_at": "load", "why": "w"}],
}

#: Targets for a loss: a quarter of them take the value of init's ignore_index.
LABELS = {"name": "y", "shape": ["B"], "kind": "labels", "classes": 3, "ignore": "ignore_index"}


def _task(**spec) -> Coding:
    return Coding.model_validate(
        {**BASE, "spec": {"input_shape": ["B", 4], "output_shape": ["B", 2], **spec}}
    )


def _messages(**spec) -> list[str]:
    return [
        f"{'.'.join(map(str, where))}: {message}" for where, message in spec_problems(_task(**spec))
    ]


def test_the_defaults_describe_a_module_task_with_no_new_checks():
    spec = JudgeSpec(input_shape=("B", 4), output_shape=("B", 2))
    assert spec.entry == "module" and spec.init == {} and spec.extra_inputs == ()
    assert spec.reference.builtin is None and spec.reference.dtypes == ("float32", "float64")
    assert spec.reference.tolerance("float32").rtol == 1e-4
    assert spec.dropout is None and spec.train_step is None
    assert _messages() == []


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"checks": ["load", "dropout"]}, "checks: check 'dropout' needs a spec.dropout section"),
        ({"checks": ["load", "train_step"]}, "check 'train_step' needs a spec.train_step"),
        (
            {"checks": ["load", "train_step"], "train_step": {"layers": [["tanh"]]}},
            "entry: check 'train_step' calls a function",
        ),
        (
            {"entry": "function", "checks": ["load", "learning"]},
            "check 'learning' needs an nn.Module",
        ),
        ({"entry": "autograd_function", "init": {"a": 1}}, "init: init builds a module"),
        ({"entry": "function", "signature": ["a", "b"]}, "signature names 2 parameters"),
        (
            {"extra_inputs": [{"name": "m", "shape": ["B", 2]}, {"name": "m", "shape": ["B", 2]}]},
            "extra_inputs.1.name: input name 'm' is used twice",
        ),
        (
            {"checks": ["load", "learning"], "extra_inputs": [{"name": "m", "shape": ["B", 2]}]},
            "the learning check feeds one input",
        ),
        (
            {"checks": ["load", "learning"], "output_shape": ["B", 2, 3]},
            "cross_entropy needs output_shape [B, classes]",
        ),
        ({"checks": ["load", "forbidden_api"]}, "needs at least one forbidden name"),
        ({"forbidden_apis": ["nn.Linear"]}, "must be a dotted torch name"),
        ({"reference": {"rename": {"a": "b"}}}, "reference.rename only applies with a builtin"),
        ({"entry": "function", "reference": {"buffers": True}}, "buffers are compared for module"),
        ({"entry": "function", "reference": {"modes": ["train"]}}, "train mode only applies"),
        (
            {"extra_inputs": [LABELS]},
            "extra_inputs.0.ignore: ignore names the constructor argument",
        ),
        (
            {
                "init": {"ignore_index": -100},
                "extra_inputs": [LABELS],
                "reference": {"trials": 2, "configs": [{"init": {"ignore_index": 0.5}}]},
            },
            "every configuration must give it as a whole number",
        ),
    ],
)
def test_specs_that_do_not_fit_together_are_problems(spec, words):
    assert any(words in m for m in _messages(**spec)), _messages(**spec)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"train_step": {"layers": [["conv2d", 3, 3]]}}, "the name must be one of"),
        ({"train_step": {"layers": [["linear", 8]]}}, "linear takes 2 sizes"),
        ({"extra_inputs": [{"name": "k", "shape": [4, "B"]}]}, "must start with the batch"),
        ({"extra_inputs": [{"name": "m", "shape": ["B", 4], "kind": "causal"}]}, "queries, keys"),
        ({"extra_inputs": [{"name": "y", "shape": ["B"], "kind": "labels"}]}, "classes is needed"),
        ({"extra_inputs": [{"name": "y", "shape": ["B"], "classes": 3}]}, "classes is needed"),
        (
            {"extra_inputs": [{"name": "y", "shape": ["B"], "kind": "mask", "ignore": "i"}]},
            "ignore only applies to kind labels",
        ),
        ({"reference": {"builtin": "os.system"}}, "should match pattern"),
        ({"reference": {"tolerances": {"float16": {"rtol": 1, "atol": 1}}}}, "float32"),
        ({"dropout": {"p": 1.0}}, "less than 1"),
        ({"reference": {"configs": [{}]}}, "needs init, input_shape or extra_inputs"),
        ({"reference": {"configs": [{"input_shape": [4, "B"]}]}}, "must start with the batch"),
        (
            {"reference": {"trials": 2, "configs": [{"init": {"a": 1}}, {"init": {"a": 2}}]}},
            "set trials to at least 3",
        ),
        (
            {"reference": {"configs": [{"extra_inputs": {"mask": ["B", 3]}}]}},
            "extra_inputs does not have",
        ),
        (
            {
                "entry": "function",
                "signature": ["x"],
                "reference": {"configs": [{"init": {"a": 1}}]},
            },
            "for module entries only",
        ),
    ],
)
def test_malformed_new_fields_fail_the_schema(spec, words):
    with pytest.raises(ValidationError, match=words):
        _task(**spec)


def test_validate_reports_spec_problems_at_their_yaml_position(tmp_path: Path):
    folder = tmp_path / "t"
    write_task_folder(
        folder,
        "      input_shape: [B, 4]\n"
        "      output_shape: [B, 2]\n"
        "      checks: [load, train_step]\n"
        "      entry: module\n"
        "      train_step: {layers: [[linear, 4, 2]]}\n",
        fails_at="train_step",
    )
    problems = validate_paths([folder], require_translations=False)
    hit = [p for p in problems if p.field == "spec.entry"]
    assert len(hit) == 1 and hit[0].line == 15
    assert "set entry: function" in hit[0].message


def test_labels_that_ignore_an_argument_of_init_and_of_each_configuration_fit():
    assert (
        _messages(
            checks=["load", "shapes"],
            init={"ignore_index": -100},
            extra_inputs=[LABELS],
            reference={"trials": 2, "configs": [{"init": {"ignore_index": 1}}]},
        )
        == []
    )


# --- the optimizer and resume checks (issue 17) ---------------------------------------

RESUME = {"entry": "function", "checks": ["load", "resume"], "resume": {}}


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"checks": ["load", "optimizer"]}, "check 'optimizer' needs a spec.optimizer section"),
        (
            {"checks": ["load", "optimizer"], "optimizer": {}},
            "entry: check 'optimizer' builds an optimiser class: set entry: optimizer",
        ),
        (
            {"entry": "optimizer", "checks": ["load", "shapes"]},
            "checks: check 'shapes' needs a model; an entry of kind optimizer has none",
        ),
        ({"entry": "optimizer"}, "entry optimizer is judged by the 'optimizer' check"),
        ({"checks": ["load", "resume"]}, "check 'resume' needs a spec.resume section"),
        (
            {"checks": ["load", "resume"], "resume": {}},
            "entry: check 'resume' calls a function: set entry: function",
        ),
        (
            {**RESUME, "signature": ["model"]},
            "(model, optimizer, scheduler, scaler, batches, accum_steps, max_norm)",
        ),
        ({**RESUME, "output_shape": ["B", 2, 3]}, "output_shape: the resume check's model maps"),
        ({**RESUME, "input_shape": ["B", 1]}, "input_shape must be [B, n]"),
    ],
)
def test_optimizer_and_resume_specs_that_do_not_fit_together_are_problems(spec, words):
    assert any(words in m for m in _messages(**spec)), _messages(**spec)


def test_the_bank_tasks_optimizer_and_resume_specs_fit():
    assert _messages(entry="optimizer", checks=["load", "optimizer"], optimizer={}) == []
    assert _messages(**RESUME, signature=["m", "o", "s", "g", "b", "a", "n"]) == []


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"optimizer": {"lr": [0.1, 0.01]}}, r"lr is \[low, high\]: 0.1 is above 0.01"),
        ({"optimizer": {"lr": [0.1, 2.0]}}, "keep the range within 1"),
        ({"optimizer": {"groups": 1}}, "greater than or equal to 2"),
        ({"optimizer": {"eps": [0.0, 1.0e-3]}}, "greater than 0"),
        ({"optimizer": {"momentum": 0.9}}, "Extra inputs are not permitted"),
        ({"resume": {"accum_steps": [4, 2]}}, r"accum_steps is \[low, high\]"),
        ({"resume": {"accum_steps": [1, 2]}}, "greater than or equal to 2"),
        ({"resume": {"dropout": 1.0}}, "less than 1"),
    ],
)
def test_malformed_optimizer_and_resume_sections_fail_the_schema(spec, words):
    with pytest.raises(ValidationError, match=words):
        _task(**spec)


def test_validate_reports_a_resume_task_that_is_not_a_function_at_its_line(tmp_path: Path):
    folder = tmp_path / "t"
    write_task_folder(
        folder,
        "      input_shape: [B, 4]\n"
        "      output_shape: [B, 3]\n"
        "      checks: [load, resume]\n"
        "      resume: {accum_steps: [2, 3]}\n",
        fails_at="resume",
    )
    problems = validate_paths([folder], require_translations=False)
    hit = [p for p in problems if p.field == "spec.entry"]
    assert len(hit) == 1 and "set entry: function" in hit[0].message
    assert hit[0].path.name == "task.yaml" and hit[0].line >= 11

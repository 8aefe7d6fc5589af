"""The specs of the distribution and incremental checks: fields that do not fit
together are bank problems with a position and a fix (a sampler that is not a
function entry, a check that would feed it the spec's inputs, a cached module whose
input is not a sequence), and malformed sections fail the schema with a clear
message."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from quizzer.bank.checks import spec_problems
from quizzer.bank.loader import validate_paths
from quizzer.bank.models import Coding
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
SAMPLER = {
    "entry": "function",
    "checks": ["load", "distribution"],
    "distribution": {},
    "output_shape": ["B"],
}
CACHED = {
    "input_shape": ["B", 6, 8],
    "output_shape": ["B", 6, 8],
    "checks": ["load", "incremental"],
    "incremental": {},
}


def _task(**spec) -> Coding:
    return Coding.model_validate(
        {**BASE, "spec": {"input_shape": ["B", 4], "output_shape": ["B", 2], **spec}}
    )


def _messages(**spec) -> list[str]:
    return [
        f"{'.'.join(map(str, where))}: {message}" for where, message in spec_problems(_task(**spec))
    ]


def test_a_sampler_and_a_cached_module_as_the_bank_writes_them_fit():
    assert _messages(**SAMPLER, signature=["a", "b", "c", "d", "e"]) == []
    assert _messages(**CACHED) == []
    spec = _task(**SAMPLER).spec.distribution
    assert spec is not None and spec.alpha == 1e-6 and len(spec.cases) == 10


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (
            {**SAMPLER, "distribution": None},
            "checks: check 'distribution' needs a spec.distribution",
        ),
        ({**SAMPLER, "entry": "module"}, "entry: check 'distribution' calls a sampling function"),
        (
            {**SAMPLER, "checks": ["load", "shapes", "distribution"]},
            "checks: check 'shapes' calls the entry with the spec's inputs",
        ),
        ({**SAMPLER, "signature": ["logits", "t", "k", "p"]}, "(logits, temperature, top_k"),
        ({**CACHED, "incremental": None}, "check 'incremental' needs a spec.incremental"),
        ({**CACHED, "entry": "function"}, "check 'incremental' builds a module with a cache"),
        ({**CACHED, "input_shape": ["B", 8]}, "input_shape must be [B, T, features]"),
        ({**CACHED, "input_shape": ["B", "B", 8]}, "input_shape must be [B, T, features]"),
    ],
)
def test_specs_that_do_not_fit_together_are_problems(spec, words):
    assert any(words in m for m in _messages(**spec)), _messages(**spec)


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"distribution": {"alpha": 0.05}}, "less than or equal to 0.001"),
        ({"distribution": {"vocab": [40, 12]}}, "12 <= low <= high <= 1000"),
        ({"distribution": {"vocab": [4, 12]}}, "12 <= low <= high <= 1000"),
        ({"distribution": {"draws": 500, "min_expected": 200}}, "at least 4 \\* min_expected"),
        ({"distribution": {"cases": ["plain", "plain"]}}, "lists a kind twice"),
        ({"distribution": {"cases": ["top_q"]}}, "'plain', 'hot'"),
        ({"distribution": {"cases": []}}, "at least 1 item"),
        ({"incremental": {"lengths": [2, 3]}}, "4 <= low <= high <= 64"),
        ({"incremental": {"lengths": [9, 5]}}, "4 <= low <= high <= 64"),
        ({"incremental": {"dtypes": ["float32", "float32"]}}, "lists a dtype twice"),
        ({"incremental": {"dtypes": ["float16"]}}, "float32"),
        ({"incremental": {"batch_size": 0}}, "greater than or equal to 1"),
    ],
)
def test_malformed_sections_fail_the_schema(section, words):
    with pytest.raises(ValidationError, match=words):
        _task(**section)


def test_validate_names_the_file_and_line_of_a_bad_section(tmp_path: Path):
    write_task_folder(
        tmp_path / "t",
        "      input_shape: [B, 4]\n"
        "      output_shape: [B]\n"
        "      entry: function\n"
        "      checks: [load, distribution]\n"
        "      distribution:\n"
        "        vocab: [40, 12]\n",
    )
    problems = validate_paths([tmp_path / "t"], require_translations=False)
    assert len(problems) == 1, problems
    assert problems[0].path.name == "task.yaml" and problems[0].line == 17
    assert "vocab [low, high] needs 12 <= low <= high <= 1000" in problems[0].message


def test_validate_names_the_line_of_a_sampler_that_is_a_module(tmp_path: Path):
    write_task_folder(
        tmp_path / "t",
        "      input_shape: [B, 4]\n"
        "      output_shape: [B]\n"
        "      entry: module\n"
        "      checks: [load, distribution]\n"
        "      distribution: {draws: 1000}\n",
    )
    problems = validate_paths([tmp_path / "t"], require_translations=False)
    hit = [p for p in problems if p.field == "spec.entry"]
    assert len(hit) == 1 and hit[0].line == 14, problems
    assert "set entry: function" in hit[0].message

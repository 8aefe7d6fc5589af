"""Typed models of the question bank: what a YAML file under `questions/` may say.

Every model forbids unknown fields and is frozen. Questions form a discriminated union
on `type`. The loader (`quizzer.bank.loader`) builds these from YAML; grading
(`quizzer.bank.grading`) and the judge read them. Nothing here imports torch.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

#: A text field: a plain string, or a map of language code to string.
Text: TypeAlias = str | dict[Lang, str]

Difficulty = Literal["easy", "medium", "hard"]

#: Checks the judge can run on a coding task, in the order it runs them.
CheckName = Literal[
    "load",
    "forbidden_api",
    "shapes",
    "device",
    "gradients",
    "train_eval",
    "reference",
    "learning",
]

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"


def text_in(text: Text, lang: str = "en") -> str:
    """The text in `lang`, falling back to English, then to any language present."""
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")  # type: ignore[call-overload]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(Strict):
    title: str
    url: str


class Option(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    text: Text


class QuestionBase(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN, min_length=2, max_length=80)]
    topic: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    tags: tuple[str, ...] = ()
    difficulty: Difficulty
    prompt: Text
    explanation: Text
    #: Tiered hints, from a nudge to nearly the answer.
    hints: tuple[Text, ...] = ()
    references: tuple[Reference, ...] = ()
    #: Where the question came from, e.g. "seed" for the interview article.
    source: str | None = None


class SingleChoice(QuestionBase):
    type: Literal["single_choice"]
    options: tuple[Option, ...] = Field(min_length=2)
    answer: str


class MultipleChoice(QuestionBase):
    """Several options are right. Full credit for the exact set; partial credit is
    (right picks - wrong picks) / number of right options, floored at 0."""

    type: Literal["multiple_choice"]
    options: tuple[Option, ...] = Field(min_length=2)
    answer: tuple[str, ...] = Field(min_length=1)


class TrueFalse(QuestionBase):
    type: Literal["true_false"]
    answer: bool


class Numeric(QuestionBase):
    type: Literal["numeric"]
    answer: float
    #: Absolute tolerance: |given - answer| <= tolerance is right.
    tolerance: Annotated[float, Field(ge=0)] = 0.0
    unit: str | None = None


class ShortAnswer(QuestionBase):
    """Free text. Right when it equals an accepted answer after normalisation
    (Unicode NFKC, case folding, collapsed whitespace, trailing punctuation
    stripped) or fully matches `regex` (applied to the normalised text)."""

    type: Literal["short_answer"]
    accepted: tuple[str, ...] = Field(min_length=1)
    regex: str | None = None

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from exc
        return value


class CodeOutput(QuestionBase):
    """A PyTorch snippet; the learner says what it prints. `bank verify` runs the
    snippet and proves that `answer` is what it really prints."""

    type: Literal["code_output"]
    code: str
    #: Exactly what the snippet prints; compared line by line, trailing spaces ignored.
    answer: str
    #: Optional choices; when given, `answer` must equal one option's text.
    options: tuple[Option, ...] = ()


class Open(QuestionBase):
    """No single right wording: a model answer and a rubric; self-assessed."""

    type: Literal["open"]
    model_answer: Text
    rubric: tuple[Text, ...] = Field(min_length=1)


# --- coding tasks -----------------------------------------------------------------

#: A dimension is a fixed size or the symbol "B" for the batch size.
Dim = int | Literal["B"]


class OptimizerSpec(Strict):
    name: Literal["sgd", "adam", "adamw"] = "sgd"
    lr: Annotated[float, Field(gt=0)] = 0.1
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.0


class GradientSpec(Strict):
    #: Finite-difference check of autograd in float64.
    finite_differences: bool = True
    #: Random directions tried for the directional check.
    directions: Annotated[int, Field(ge=1, le=64)] = 4
    eps: Annotated[float, Field(gt=0)] = 1e-6
    rtol: Annotated[float, Field(gt=0)] = 1e-4
    atol: Annotated[float, Field(gt=0)] = 1e-6
    #: Whether parameters may be frozen (requires_grad=False); frozen ones are not checked.
    allow_frozen: bool = False


class LearningSpec(Strict):
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"
    optimizer: OptimizerSpec = OptimizerSpec()
    steps: Annotated[int, Field(ge=1, le=10_000)] = 50
    batch_size: Annotated[int, Field(ge=1, le=4096)] = 16
    #: Pass when final loss <= loss_ratio * initial loss.
    loss_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5


class Limits(Strict):
    wall_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    cpu_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    memory_mb: Annotated[int, Field(ge=64, le=65536)] = 2048
    processes: Annotated[int, Field(ge=1, le=4096)] = 64
    output_kb: Annotated[int, Field(ge=1, le=1_048_576)] = 256
    file_mb: Annotated[int, Field(ge=0, le=4096)] = 16


class JudgeSpec(Strict):
    #: Input shape with "B" for the batch dimension, e.g. ["B", 10].
    input_shape: tuple[Dim, ...] = Field(min_length=1)
    #: Expected output shape, e.g. ["B", 3].
    output_shape: tuple[Dim, ...] = Field(min_length=1)
    input_dtype: Literal["float32", "float64"] = "float32"
    #: Batch sizes the shape check tries; must include 1 and an odd prime.
    batch_sizes: tuple[Annotated[int, Field(ge=1, le=1024)], ...] = (1, 7, 16)
    #: Each sample's eval-mode output must not depend on the rest of its batch.
    per_sample: bool = True
    checks: tuple[CheckName, ...] = ("load", "shapes", "device", "gradients", "learning")
    gradients: GradientSpec = GradientSpec()
    learning: LearningSpec = LearningSpec()
    #: Dotted names the submission must not use, e.g. "torch.nn.Linear".
    forbidden_apis: tuple[str, ...] = ()
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _shapes_have_batch(self) -> JudgeSpec:
        for name in ("input_shape", "output_shape"):
            if getattr(self, name)[0] != "B":
                raise ValueError(f"{name} must start with the batch dimension 'B'")
        if "load" not in self.checks:
            raise ValueError("checks must include 'load'")
        return self


class Variant(Strict):
    """A known-bad solution: the judge must fail it at `fails_at`."""

    path: str
    fails_at: CheckName
    why: Text


class Coding(QuestionBase):
    """A coding task. `prompt` is the statement (Markdown). Paths are relative to
    the YAML file that holds the task."""

    type: Literal["coding"]
    class_name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    starter: str
    spec: JudgeSpec
    reference: str
    variants: tuple[Variant, ...] = Field(min_length=1)


Question = Annotated[
    SingleChoice | MultipleChoice | TrueFalse | Numeric | ShortAnswer | CodeOutput | Open | Coding,
    Field(discriminator="type"),
]

QUESTION_TYPES: tuple[str, ...] = (
    "single_choice",
    "multiple_choice",
    "true_false",
    "numeric",
    "short_answer",
    "code_output",
    "open",
    "coding",
)


class QuestionFile(Strict):
    """One YAML file: a list of questions under `questions:`."""

    questions: tuple[Question, ...] = Field(min_length=1)

"""Typed models of the question bank: what a YAML file under `questions/` may say.

Every model forbids unknown fields and is frozen. Questions form a discriminated union
on `type`. The loader (`quizzer.bank.loader`) builds these from YAML; grading
(`quizzer.bank.grading`) and the judge read them. Nothing here imports torch.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, TypeAlias, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from quizzer.bank.cjk import join_cjk_lines

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
    "promises",
    "device",
    "gradients",
    "train_eval",
    "reference",
    "dropout",
    "train_step",
    "collate",
    "optimizer",
    "resume",
    "distribution",
    "incremental",
    "learning",
]
#: Checks that earn no points of their own: `load` only opens the file (an untouched
#: starter loads), and `forbidden_api` is a condition (a solution that breaks it
#: scores 0 for the task). A screen scores the other checks; `bank verify` proves that
#: each task's starter passes none of them.
UNSCORED_CHECKS: tuple[str, ...] = ("load", "forbidden_api")

#: What the task's named object is: an nn.Module class (built with `spec.init`), a
#: plain function, a torch.autograd.Function subclass (called through `.apply`), or a
#: torch.optim.Optimizer subclass (built by the `optimizer` check on its own groups).
EntryKind = Literal["module", "function", "autograd_function", "optimizer"]
Mode = Literal["train", "eval"]
FloatDtype = Literal["float32", "float64"]
#: A constructor or call argument given in YAML.
InitValue: TypeAlias = int | float | bool | str | tuple[int, ...] | None
DOTTED_TORCH = r"^torch(\.[A-Za-z_][A-Za-z0-9_]*)+$"
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"


def verbatim_in(text: Text, lang: str = "en") -> str:
    """The text in `lang` exactly as the YAML gives it, falling back to English, then
    to any language present. For comparing with what code prints (a code_output
    option's text with the answer); for showing a text, use `text_in`."""
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")  # type: ignore[call-overload]


def text_in(text: Text, lang: str = "en") -> str:
    """The text in `lang` (see `verbatim_in`) as it is shown: the line breaks that only
    wrap the YAML between two CJK characters removed (`join_cjk_lines`), so that
    Markdown does not show them as spaces inside Chinese sentences."""
    return join_cjk_lines(verbatim_in(text, lang))


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
    #: The batch: `templates` (one random template, offset and scale per class) or
    #: `dotted_lines` (images (B, C, H, W), H and W >= 12, cross_entropy, at most 4
    #: classes: four dots three pixels apart in a row, a column, a diagonal or an
    #: antidiagonal at a random place, with noise; every class has the same pixel
    #: statistics and no 3x3 window holds two dots, so only a model that combines
    #: what it sees over a wider area can tell them apart).
    data: Literal["templates", "dotted_lines"] = "templates"


class Limits(Strict):
    wall_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    cpu_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    memory_mb: Annotated[int, Field(ge=64, le=65536)] = 2048
    processes: Annotated[int, Field(ge=1, le=4096)] = 64
    output_kb: Annotated[int, Field(ge=1, le=1_048_576)] = 256
    file_mb: Annotated[int, Field(ge=0, le=4096)] = 16


class InputSpec(Strict):
    """An input after the first (`input_shape`), passed positionally in this order."""

    name: Annotated[str, Field(pattern=IDENTIFIER)]
    #: Starts with "B"; the judge slices every input along it together.
    shape: tuple[Dim, ...] = Field(min_length=1)
    #: float: random normal values in `input_dtype`. mask: a random bool tensor (True =
    #: take part) with at least one True in each row of its last dimension. causal: True
    #: on and below the diagonal of its last two dimensions. labels: int64 class
    #: indices, uniform in [0, classes).
    kind: Literal["float", "mask", "causal", "labels"] = "float"
    #: labels: the number of classes.
    classes: Annotated[int, Field(ge=2, le=1_000_000)] | None = None
    #: labels: the constructor argument (of `init`, or of a configuration's) whose value
    #: a quarter of the labels take (at least one, never the first), e.g. `ignore_index`,
    #: so that labels to ignore are always among the inputs.
    ignore: Annotated[str, Field(pattern=IDENTIFIER)] | None = None

    @model_validator(mode="after")
    def _batch_first(self) -> InputSpec:
        if self.shape[0] != "B":
            raise ValueError("shape must start with the batch dimension 'B'")
        if self.kind == "causal" and len(self.shape) < 3:
            raise ValueError("a causal mask needs shape [B, ..., queries, keys]")
        if (self.kind == "labels") != (self.classes is not None):
            raise ValueError("classes is needed by kind labels, and only by it")
        if self.ignore is not None and self.kind != "labels":
            raise ValueError("ignore only applies to kind labels")
        return self


class Tolerance(Strict):
    """|got - expected| <= atol + rtol * |expected|, element by element."""

    rtol: Annotated[float, Field(gt=0, lt=1)]
    atol: Annotated[float, Field(gt=0, lt=1)]


DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "float32": Tolerance(rtol=1e-4, atol=1e-5),
    "float64": Tolerance(rtol=1e-7, atol=1e-9),
}


class Config(Strict):
    """Another configuration the statement promises to honour, for the `reference`
    check: constructor arguments merged over the task's `init` (and the built-in's),
    and input shapes in place of the task's. The expected output, shape included,
    comes from the reference, so a configuration needs no output shape."""

    #: e.g. {eps: 1.0e-3}, or {in_channels: 8, out_channels: 8} with an input_shape.
    init: dict[str, InitValue] = Field(default_factory=dict)
    #: e.g. [B, 12] for a layer that promises any number of leading dimensions.
    input_shape: tuple[Dim, ...] | None = None
    #: Shapes of inputs after the first, by `extra_inputs` name (the rest keep theirs).
    extra_inputs: dict[str, tuple[Dim, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _says_something(self) -> Config:
        if not (self.init or self.input_shape or self.extra_inputs):
            raise ValueError("a configuration needs init, input_shape or extra_inputs")
        shapes = [self.input_shape or ("B",), *self.extra_inputs.values()]
        if any(not s or s[0] != "B" for s in shapes):
            raise ValueError("every shape must start with the batch dimension 'B'")
        return self


class ReferenceSpec(Strict):
    """The `reference` check: outputs equal those of a torch built-in, or of the task's
    reference solution run in its own worker, for the same state and inputs, which
    the judge chooses at run time."""

    #: A torch callable, e.g. "torch.nn.Linear" or
    #: "torch.nn.functional.scaled_dot_product_attention"; none: the task's reference.
    builtin: Annotated[str, Field(pattern=DOTTED_TORCH)] | None = None
    #: Keyword arguments that build the built-in module (default: `spec.init`).
    init: dict[str, InitValue] | None = None
    #: Keyword arguments for each call of the built-in.
    kwargs: dict[str, InitValue] = Field(default_factory=dict)
    #: Which element of a built-in's tuple output to compare (nn.GRU returns two).
    output: Annotated[int, Field(ge=0)] | None = None
    #: The submission's state_dict key -> the built-in's, where they differ.
    rename: dict[str, str] = Field(default_factory=dict)
    #: Fresh inputs and a fresh random state per trial.
    trials: Annotated[int, Field(ge=1, le=20)] = 3
    batch_size: Annotated[int, Field(ge=1, le=256)] = 5
    modes: tuple[Mode, ...] = Field(default=("eval",), min_length=1)
    dtypes: tuple[FloatDtype, ...] = Field(default=("float32", "float64"), min_length=1)
    #: Per dtype; a dtype left out keeps its default (float32 1e-4/1e-5,
    #: float64 1e-7/1e-9).
    tolerances: dict[FloatDtype, Tolerance] = Field(default_factory=dict)
    #: Float inputs of trial i are multiplied by input_scales[i % len]: small and large
    #: scales expose eps placement and unstable exponentials.
    input_scales: tuple[Annotated[float, Field(gt=0)], ...] = Field(default=(1.0,), min_length=1)
    #: Also compare the buffers after each forward (BatchNorm running statistics).
    buffers: bool = False
    #: How a search's equally good answers are recognised: "bigram_beam" (beam search
    #: over a bigram table, `spec.outputs` (tokens, score), constructor arguments
    #: max_len, eos_id and alpha) accepts tokens that differ from the reference's when
    #: the judge's own scoring of them gives the returned score and that score is the
    #: reference's (`quizzer.judge.ties`). Without it, outputs must match as they are.
    ties: Literal["bigram_beam"] | None = None
    #: In each trial, this many vectors of the first input along its last dimension
    #: (tokens of a (B, T, D) input) are all zeros, as padding tokens are: with a gate
    #: that has no bias, they give every expert the same logit, which probes how a
    #: solution breaks ties.
    zero_vectors: Annotated[int, Field(ge=0, le=64)] = 0
    #: Other configurations the statement promises to honour (constructor arguments,
    #: input ranks, sequence lengths): trial i uses the i-th of [the task's own,
    #: *configs], cycling, so `trials` must be at least 1 + len(configs).
    configs: tuple[Config, ...] = ()

    @model_validator(mode="after")
    def _every_config_runs(self) -> ReferenceSpec:
        if self.trials < 1 + len(self.configs):
            raise ValueError(
                f"trials is {self.trials}, so {1 + len(self.configs) - self.trials} of the "
                f"{len(self.configs)} configs would never run; set trials to at least "
                f"{1 + len(self.configs)}"
            )
        return self

    def tolerance(self, dtype: str) -> Tolerance:
        return self.tolerances.get(dtype) or DEFAULT_TOLERANCES[dtype]  # type: ignore[call-overload]

    def config(self, trial: int) -> Config | None:
        """The configuration trial `trial` uses (None: the task's own)."""
        index = trial % (1 + len(self.configs))
        return self.configs[index - 1] if index else None


class DropoutSpec(Strict):
    """The `dropout` check: in train mode each element is dropped with probability
    `p`, independently, and the kept ones are scaled by 1 / (1 - p)."""

    p: Annotated[float, Field(gt=0, lt=1)]
    #: Rows of `input_shape` in the probe; more rows give tighter statistics.
    batch_size: Annotated[int, Field(ge=8, le=4096)] = 64


#: Layers the `train_step` check builds its model from: [name, sizes...].
STEP_LAYERS = {"linear": 2, "batchnorm1d": 1, "relu": 0, "tanh": 0}


class TrainStepSpec(Strict):
    """The `train_step` check: the function is called as
    `train_step(model, optimizer, loss_fn, x, y, max_norm)` on a model the judge
    builds from `layers`, and judged by the parameters it leaves behind."""

    layers: tuple[tuple[str | int, ...], ...] = Field(min_length=1)
    optimizer: OptimizerSpec = OptimizerSpec(name="sgd", lr=0.1, momentum=0.9)
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"
    steps: Annotated[int, Field(ge=2, le=20)] = 3
    #: Small enough that clipping the total norm and clipping each element both bite,
    #: so that the judge can tell those mistakes apart.
    max_norm: Annotated[float, Field(gt=0)] = 0.1
    batch_size: Annotated[int, Field(ge=2, le=256)] = 8

    @field_validator("layers")
    @classmethod
    def _known_layers(cls, layers: tuple[tuple[str | int, ...], ...]) -> tuple:
        for layer in layers:
            name, sizes = layer[0] if layer else None, layer[1:]
            if name not in STEP_LAYERS:
                raise ValueError(
                    f"layer {list(layer)}: the name must be one of {', '.join(STEP_LAYERS)}"
                )
            if len(sizes) != STEP_LAYERS[str(name)] or not all(
                isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 4096 for n in sizes
            ):
                raise ValueError(
                    f"layer {list(layer)}: {name} takes {STEP_LAYERS[str(name)]} sizes "
                    "(whole numbers from 1 to 4096)"
                )
        return layers


class CollateSpec(Strict):
    """The `collate` check: a collate function for variable-length sequences, called
    as `fn(batch, pad_id, pad_to_multiple_of)` on sample lists the judge draws at run
    time, must return exactly `(tokens, lengths, mask, labels)`; with `sampler`, a
    bucketing batch sampler in the same file is judged by the same check."""

    #: Tokens are drawn from [1, vocab).
    vocab: Annotated[int, Field(ge=3, le=1_000_000)] = 50
    #: The longest sample of most calls, and the batch size of most calls.
    max_length: Annotated[int, Field(ge=3, le=512)] = 12
    batch_size: Annotated[int, Field(ge=3, le=64)] = 6
    #: The one very long sample of one call (made not a multiple of `multiple`).
    long_length: Annotated[int, Field(ge=2, le=4096)] = 33
    #: The pad_to_multiple_of the calls that round up pass.
    multiple: Annotated[int, Field(ge=2, le=64)] = 8
    #: The name of a function `sampler(lengths, max_tokens, seed)` in the same file
    #: that returns batches of indices, or none.
    sampler: Annotated[str, Field(pattern=IDENTIFIER)] | None = None
    #: The sampler's dataset size and its bound on padded tokens per batch.
    samples: Annotated[int, Field(ge=8, le=2048)] = 60
    max_tokens: Annotated[int, Field(ge=2, le=1_000_000)] = 48

    @model_validator(mode="after")
    def _fits(self) -> CollateSpec:
        if self.long_length <= self.max_length:
            raise ValueError("long_length must be longer than max_length")
        if self.sampler is not None and self.max_tokens < self.max_length:
            raise ValueError("max_tokens must hold at least one sample of max_length")
        return self


class OutputSpec(Strict):
    """One element of a tuple that the entry returns (`spec.outputs`). The judge packs
    the elements, in order, into one tensor along the last dimension, so that every
    check sees one output: integer elements are cast to the floating elements' dtype
    (exact for indices), and a scalar becomes one column, repeated for every row."""

    name: Annotated[str, Field(pattern=IDENTIFIER)]
    #: Its size along the last dimension: a number, or the constructor argument that
    #: sets it (e.g. "k", resolved per configuration); none for a scalar.
    width: (
        Annotated[int, Field(ge=1, le=4096)] | Annotated[str, Field(pattern=IDENTIFIER)] | None
    ) = None
    dtype: Literal["float", "int64"] = "float"

    @property
    def scalar(self) -> bool:
        return self.width is None


#: A range the judge draws a value from at run time: [low, high].
Span: TypeAlias = tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]]


def _ordered(name: str, span: tuple[float, float]) -> None:
    if span[0] > span[1]:
        raise ValueError(f"{name} is [low, high]: {span[0]:g} is above {span[1]:g}")


class OptimizerCheckSpec(Strict):
    """The `optimizer` check: the entry, a torch.optim.Optimizer subclass, must match
    AdamW step by step on parameter groups, gradients and hyper-parameters the judge
    draws at run time from these ranges, also after a state_dict round trip into a
    fresh instance."""

    #: Parameter groups, each with two parameters of random shapes.
    groups: Annotated[int, Field(ge=2, le=4)] = 3
    #: Steps; the state_dict round trip happens after a step drawn in the middle.
    steps: Annotated[int, Field(ge=4, le=20)] = 6
    lr: Span = (1e-3, 1e-1)
    eps: Span = (1e-5, 1e-3)
    weight_decay: Span = (0.01, 0.3)

    @model_validator(mode="after")
    def _spans(self) -> OptimizerCheckSpec:
        for name in ("lr", "eps", "weight_decay"):
            _ordered(name, getattr(self, name))
        if self.lr[1] > 1:
            raise ValueError("lr above 1 makes every step overshoot; keep the range within 1")
        return self


class ResumeSpec(Strict):
    """The `resume` check: `train_epoch`, `evaluate`, `save_checkpoint` and
    `load_checkpoint` on the judge's model (Linear, BatchNorm1d, ReLU, Dropout, Linear
    from `input_shape`'s features to `output_shape`'s classes), SGD with momentum, a
    StepLR scheduler and a GradScaler, compared with the judge's replay of a correct
    loop, uninterrupted and resumed from a checkpoint into fresh objects."""

    hidden: Annotated[int, Field(ge=1, le=256)] = 16
    dropout: Annotated[float, Field(gt=0, lt=1)] = 0.2
    batch_size: Annotated[int, Field(ge=2, le=256)] = 8
    #: The micro-batches per optimiser step, drawn per run from [low, high].
    accum_steps: tuple[Annotated[int, Field(ge=2, le=8)], Annotated[int, Field(ge=2, le=8)]] = (
        2,
        4,
    )
    #: Full groups of micro-batches per epoch; a partial group always follows.
    groups: Annotated[int, Field(ge=1, le=8)] = 2
    eval_batches: Annotated[int, Field(ge=1, le=16)] = 3
    lr: Annotated[float, Field(gt=0, le=1)] = 0.1
    momentum: Annotated[float, Field(gt=0, lt=1)] = 0.9
    step_size: Annotated[int, Field(ge=1, le=100)] = 2
    gamma: Annotated[float, Field(gt=0, lt=1)] = 0.5
    init_scale: Annotated[float, Field(ge=1, le=2.0**24)] = 2.0**16
    growth_interval: Annotated[int, Field(ge=1, le=100)] = 2

    @model_validator(mode="after")
    def _accum(self) -> ResumeSpec:
        _ordered("accum_steps", self.accum_steps)
        return self


#: The sampling settings the `distribution` check draws at run time, one kind each.
SamplingCase = Literal[
    "plain",
    "hot",
    "cold",
    "near_zero",
    "top_k_1",
    "top_k_tie",
    "top_p_tiny",
    "top_p",
    "top_p_tie",
    "combined",
]
SAMPLING_CASES: tuple[SamplingCase, ...] = get_args(SamplingCase)


class DistributionSpec(Strict):
    """The `distribution` check: `sample(logits, temperature, top_k, top_p, generator)`
    is called on logits and settings the judge draws at run time (one kind per case);
    its draws must follow softmax(logits / temperature) cut to the top k, then to the
    top p (a chi-square test per logits row), repeat for the same generator seed and
    come from the generator."""

    cases: tuple[SamplingCase, ...] = Field(default=SAMPLING_CASES, min_length=1)
    #: Draws per logits row and case (each case has two rows).
    draws: Annotated[int, Field(ge=500, le=20_000)] = 2000
    #: The chi-square test's false-alarm rate for one row.
    alpha: Annotated[float, Field(gt=0, le=1e-3)] = 1e-6
    #: Cells with fewer expected draws are pooled until each group expects this many.
    min_expected: Annotated[float, Field(ge=5, le=1000)] = 100.0
    #: The vocabulary size of each case is drawn in [low, high].
    vocab: tuple[int, int] = (12, 40)

    @model_validator(mode="after")
    def _fits(self) -> DistributionSpec:
        if len(set(self.cases)) != len(self.cases):
            raise ValueError("cases lists a kind twice")
        low, high = self.vocab
        if not 12 <= low <= high <= 1000:
            raise ValueError("vocab [low, high] needs 12 <= low <= high <= 1000")
        if self.draws < 4 * self.min_expected:
            raise ValueError("draws must be at least 4 * min_expected, or nothing is tested")
        return self


class IncrementalSpec(Strict):
    """The `incremental` check: `forward(x, cache=None) -> (y, (k, v))` on the whole
    sequence, and chunk by chunk feeding back the cache it returned, must match the
    task's reference solution (outputs and caches), in each of `dtypes`."""

    batch_size: Annotated[int, Field(ge=1, le=16)] = 2
    #: The sequence length is drawn in [low, high] (inclusive).
    lengths: tuple[int, int] = (5, 9)
    dtypes: tuple[FloatDtype, ...] = Field(default=("float32", "float64"), min_length=1)
    #: Per dtype; a dtype left out keeps its default (float32 1e-4/1e-5, float64 1e-7/1e-9).
    tolerances: dict[FloatDtype, Tolerance] = Field(default_factory=dict)
    input_scale: Annotated[float, Field(gt=0, le=100)] = 1.0

    @model_validator(mode="after")
    def _fits(self) -> IncrementalSpec:
        low, high = self.lengths
        if not 4 <= low <= high <= 64:
            raise ValueError("lengths [low, high] needs 4 <= low <= high <= 64")
        if len(set(self.dtypes)) != len(self.dtypes):
            raise ValueError("dtypes lists a dtype twice")
        return self

    def tolerance(self, dtype: str) -> Tolerance:
        return self.tolerances.get(dtype) or DEFAULT_TOLERANCES[dtype]  # type: ignore[call-overload]


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
    #: Whether a module entry must have trainable parameters (false for a module that
    #: has none by design, such as dropout): weights kept as buffers or plain tensors
    #: are never trained, so such a model fails `load`.
    parameters: bool = True
    #: What the statement promises beyond shapes, checked by the `promises` check:
    #: `nonlinear` (the model is not an affine map of its input) and `logits` (raw
    #: logits: not probabilities, not all non-negative).
    promises: tuple[Literal["nonlinear", "logits"], ...] = ()
    checks: tuple[CheckName, ...] = ("load", "shapes", "device", "gradients", "learning")
    gradients: GradientSpec = GradientSpec()
    learning: LearningSpec = LearningSpec()
    #: Dotted names the submission must not use, e.g. "torch.nn.Linear".
    forbidden_apis: tuple[str, ...] = ()
    limits: Limits = Limits()
    #: What `class_name` names in the submission (see `EntryKind`).
    entry: EntryKind = "module"
    #: Keyword arguments a module entry is built with, e.g. {in_features: 12}.
    init: dict[str, InitValue] = Field(default_factory=dict)
    #: Parameter names of a function entry, in call order (shown in messages).
    signature: tuple[Annotated[str, Field(pattern=IDENTIFIER)], ...] = ()
    #: Inputs after the first, e.g. keys, values and a mask for attention.
    extra_inputs: tuple[InputSpec, ...] = ()
    reference: ReferenceSpec = ReferenceSpec()
    dropout: DropoutSpec | None = None
    train_step: TrainStepSpec | None = None
    collate: CollateSpec | None = None
    distribution: DistributionSpec | None = None
    incremental: IncrementalSpec | None = None
    optimizer: OptimizerCheckSpec | None = None
    resume: ResumeSpec | None = None
    #: The elements of a tuple the entry returns, packed into one output (see
    #: `OutputSpec`); `output_shape` is then the packed shape.
    outputs: tuple[OutputSpec, ...] = ()
    #: The load check's budget: at most this many trainable parameters (module entries).
    max_parameters: Annotated[int, Field(ge=1)] | None = None
    #: The load check's floor: at least this many convolution layers, counted as
    #: trainable parameters with four dimensions (an nn.Conv2d's weight).
    min_conv_layers: Annotated[int, Field(ge=1, le=64)] | None = None

    @model_validator(mode="after")
    def _shapes_have_batch(self) -> JudgeSpec:
        for name in ("input_shape", "output_shape"):
            if getattr(self, name)[0] != "B":
                raise ValueError(f"{name} must start with the batch dimension 'B'")
        if "load" not in self.checks:
            raise ValueError("checks must include 'load'")
        if bool(self.promises) != ("promises" in self.checks):
            raise ValueError("list the 'promises' check in checks exactly when promises are set")
        if self.promises and (self.entry != "module" or self.extra_inputs):
            raise ValueError("promises are for module entries with one input")
        for field in ("max_parameters", "min_conv_layers"):
            if getattr(self, field) is not None and self.entry != "module":
                raise ValueError(f"{field} is for module entries only")
        if self.learning.data == "dotted_lines":
            shape = self.input_shape
            sides = [d for d in shape[2:] if isinstance(d, int)]
            if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]) or min(sides) < 12:
                raise ValueError(
                    "learning.data dotted_lines needs input_shape [B, C, H, W], H and W >= 12"
                )
            classes = self.output_shape[1] if len(self.output_shape) == 2 else None
            if self.learning.loss != "cross_entropy" or not (
                isinstance(classes, int) and 2 <= classes <= 4
            ):
                raise ValueError(
                    "learning.data dotted_lines needs loss cross_entropy and output_shape "
                    "[B, classes] with 2 to 4 classes"
                )
        names = {s.name for s in self.extra_inputs}
        for i, config in enumerate(self.reference.configs):
            unknown = sorted(set(config.extra_inputs) - names)
            if unknown:
                raise ValueError(
                    f"reference.configs[{i}].extra_inputs names {', '.join(unknown)}, which "
                    f"extra_inputs does not have ({', '.join(sorted(names)) or 'none'})"
                )
            if config.init and self.entry != "module":
                raise ValueError(f"reference.configs[{i}].init is for module entries only")
        if self.reference.ties == "bigram_beam":
            packed = [(o.name, o.dtype) for o in self.outputs]
            missing = sorted({"max_len", "eos_id", "alpha"} - set(self.init))
            if packed != [("tokens", "int64"), ("score", "float")] or missing:
                raise ValueError(
                    "reference.ties bigram_beam needs outputs (tokens, int64; score) and "
                    "init with max_len, eos_id and alpha"
                    + (f" (init lacks {', '.join(missing)})" if missing else "")
                )
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
    #: The YAML file the task was loaded from (set by the loader); the judge reads the
    #: reference solution through it when `spec.reference` has no built-in.
    _source_file: Path | None = PrivateAttr(default=None)

    @property
    def source_file(self) -> Path | None:
        return self._source_file

    def with_source(self, source_file: Path) -> Coding:
        """This task, remembering the YAML file that holds it."""
        self._source_file = source_file
        return self


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

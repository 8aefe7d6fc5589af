"""Typed models of a hiring screen file (`SCREEN.yaml`): what a hiring team may write.

Read by `quizzer.screen.load`, which validates the raw YAML against these models and
then checks them against the bank. Like the bank models, every model forbids unknown
fields and is frozen. Nothing here imports torch, textual or typer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quizzer.bank.models import ID_PATTERN, CheckName, Lang

SANDBOXES = ("auto", "process", "docker", "none")
DEVICES = ("auto", "cpu", "cuda")
#: The bank folder that ships with quizzer, named in `banks:` by this word.
BUNDLED = "bundled"

Points = Annotated[float, Field(gt=0, le=10_000)]
#: One value, or a list meaning "any of these".
AnyOf = str | tuple[str, ...]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(Strict):
    """The pass mark: a percentage of the points, or a number of points."""

    percent: Annotated[float, Field(ge=0, le=100)] | None = None
    points: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Threshold:
        if (self.percent is None) == (self.points is None):
            raise ValueError("give exactly one of 'percent' or 'points'")
        return self

    def required(self, max_points: float) -> float:
        """The points needed out of `max_points`."""
        if self.points is not None:
            return self.points
        assert self.percent is not None
        return max_points * self.percent / 100.0

    def describe(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else f"{self.points:g} points"


class QuestionItem(Strict):
    """One entry of a section's `questions`: a question chosen by id
    (`- id: autograd-leaf-tensors`, or just the id), or `draw: N` questions sampled per
    candidate from the bank questions that match every rule given (a list means any of
    its values). Coding tasks are never drawn; they go under `tasks`."""

    id: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    draw: Annotated[int, Field(ge=1, le=500)] | None = None
    topic: AnyOf | None = None
    tag: AnyOf | None = None
    type: AnyOf | None = None
    difficulty: AnyOf | None = None
    exclude: tuple[str, ...] = ()
    points: Points | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _id_or_draw(self) -> QuestionItem:
        if (self.id is None) == (self.draw is None):
            raise ValueError("give either 'id' (one question) or 'draw' (a count to sample)")
        rules = ("topic", "tag", "type", "difficulty", "exclude")
        if self.id is not None and any(getattr(self, r) for r in rules):
            raise ValueError(
                "rules (topic, tag, type, difficulty, exclude) go with 'draw', not with 'id'"
            )
        return self

    def matches(self, topic: str, tags: tuple[str, ...], qtype: str, difficulty: str) -> bool:
        """Whether a question with these properties satisfies every rule of a draw."""

        def ok(rule: AnyOf | None, values: tuple[str, ...]) -> bool:
            if rule is None:
                return True
            wanted = (rule,) if isinstance(rule, str) else rule
            return any(v in wanted for v in values)

        return (
            ok(self.topic, (topic,))
            and ok(self.tag, tags)
            and ok(self.type, (qtype,))
            and ok(self.difficulty, (difficulty,))
        )


class TaskItem(Strict):
    """A coding task by id, worth `points`. With per-check scoring, `checks` weighs
    the judge's checks (default: equal weights over the task's checks)."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    points: Points = 10.0
    scoring: Literal["per_check", "all_or_nothing"] | None = None
    checks: dict[CheckName, Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value


class Section(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: str
    #: Points of each question that does not give its own.
    points: Points = 1.0
    threshold: Threshold | None = None
    time_limit_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    #: Put this section's questions in a per-candidate order.
    shuffle: bool = False
    questions: tuple[QuestionItem, ...] = ()
    tasks: tuple[TaskItem, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> Section:
        if not self.questions and not self.tasks:
            raise ValueError("a section needs 'questions' or 'tasks' (or both)")
        return self


class PartialCredit(Strict):
    #: proportional: the bank's rule ((right - wrong) / right options); none: exact set only.
    multiple_choice: Literal["proportional", "none"] = "proportional"
    #: per_check: the task's points split over its checks; all_or_nothing: every check.
    coding: Literal["per_check", "all_or_nothing"] = "per_check"


class LimitsOverride(Strict):
    """Judge limits that replace the task's own, field by field."""

    wall_s: Annotated[float, Field(gt=0, le=600)] | None = None
    cpu_s: Annotated[float, Field(gt=0, le=600)] | None = None
    memory_mb: Annotated[int, Field(ge=64, le=65536)] | None = None
    processes: Annotated[int, Field(ge=1, le=4096)] | None = None
    output_kb: Annotated[int, Field(ge=1, le=1_048_576)] | None = None
    file_mb: Annotated[int, Field(ge=0, le=4096)] | None = None


class JudgeSettings(Strict):
    device: Literal["auto", "cpu", "cuda"] = "cpu"
    sandbox: Literal["auto", "process", "docker", "none"] = "auto"
    allow_weak_sandbox: bool = False
    #: Submissions judged at once (warm workers).
    workers: Annotated[int, Field(ge=1, le=64)] = 2
    limits: LimitsOverride = LimitsOverride()


class Accommodation(Strict):
    """What one candidate gets besides the screen's own terms: more time (minutes on
    top, or a percentage of every time limit, or both) and their own deadline."""

    extra_minutes: Annotated[int, Field(ge=0, le=1440)] = 0
    extra_percent: Annotated[int, Field(ge=0, le=300)] = 0
    deadline: datetime | None = None
    #: Why, for the record (reviewer's side only).
    note: str = ""

    def minutes(self, base: int | None) -> int | None:
        """A time limit of `base` minutes with this accommodation (None: no limit)."""
        if base is None:
            return None
        return base + (base * self.extra_percent + 99) // 100 + self.extra_minutes


class Screen(Strict):
    title: str = Field(min_length=1)
    #: Mixed with each candidate id to sample the paper; change it for a new round.
    seed: int | str
    #: Bank folders, relative to this file, or `bundled` for the bank quizzer ships.
    banks: tuple[str, ...] = Field(min_length=1)
    #: Language of the paper.
    lang: Lang = "en"
    threshold: Threshold
    time_limit_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    partial_credit: PartialCredit = PartialCredit()
    judge: JudgeSettings = JudgeSettings()
    #: When hand-ins close (ISO 8601 with a time zone, e.g. 2026-12-01T17:00:00Z).
    deadline: datetime | None = None
    #: Candidate id -> extra time or another deadline. Ids ignore case.
    accommodations: dict[str, Accommodation] = Field(default_factory=dict)
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _accommodations(self) -> Screen:
        lowered = [k.lower() for k in self.accommodations]
        twice = sorted({k for k in lowered if lowered.count(k) > 1})
        if twice:
            raise ValueError(
                f"accommodations names {', '.join(twice)} more than once (ids ignore case)"
            )
        for when in [self.deadline, *(a.deadline for a in self.accommodations.values())]:
            if when is not None and when.tzinfo is None:
                raise ValueError(
                    f"deadline {when.isoformat()} has no time zone; add one, e.g. Z for UTC"
                )
        return self

    def accommodation(self, candidate: str) -> Accommodation:
        """The candidate's accommodation (none: the screen's own terms)."""
        for key, value in self.accommodations.items():
            if key.lower() == candidate.lower():
                return value
        return Accommodation()

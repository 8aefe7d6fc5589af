"""The screen's result document (`results.json`): typed, versioned, one per candidate.

Built by `quizzer.screen.grader`, changed only by `quizzer.screen.review` (manual
scores for open questions), and projected into JUnit XML, Markdown and the leaderboard
by `quizzer.screen.report`. `candidate_view` strips what only the reviewer may see.
`results.schema.json` beside this module is generated from these models (`python -m
quizzer.screen.results` rewrites it) and the tests prove the two agree. No torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
KIND = "quizzer-screen-results"
SCHEMA_PATH = Path(__file__).with_name("results.schema.json")

#: right / partial / wrong: graded; missing: no answer or file; invalid: an answer of the
#: wrong type or a file that cannot be judged; pending: waits for a reviewer;
#: reviewed: scored by a reviewer; pass / fail / error: a coding task's verdict.
ItemStatus = Literal[
    "right",
    "partial",
    "wrong",
    "missing",
    "invalid",
    "pending",
    "reviewed",
    "pass",
    "fail",
    "error",
]
#: pass / fail: decided; pending: the open questions still to review can tip it.
Outcome = Literal["pass", "fail", "pending"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThresholdInfo(_Model):
    #: As the screen states it: "60%" or "12 points".
    rule: str
    #: Points needed.
    required_points: float


class CheckScore(_Model):
    name: str
    status: str
    points: float
    max_points: float
    weight: float
    message: str = ""
    #: The judge's numbers (losses, errors, tolerances); reviewer view only.
    metrics: dict[str, Any] = Field(default_factory=dict)


class JudgeInfo(_Model):
    status: str
    message: str | None = None
    sandbox: str
    protections: list[str] = Field(default_factory=list)
    device: str
    #: The judge's seed: it fixes the hidden inputs, so the reviewer view only.
    seed: int | None = None
    sha256: str
    seconds: float


class Review(_Model):
    points: float
    reviewer: str
    #: For an override, the reason (required).
    note: str = ""
    #: Rubric points (0-based) the reviewer ticked, when scored by rubric.
    rubric_ticked: list[int] | None = None
    reviewed_at: str
    #: The answer that was reviewed: a review of an earlier answer is not applied.
    answer: Any = None
    #: An override of an automatically graded item, and the points grading gave it.
    override: bool = False
    auto_points: float | None = None


class ItemResult(_Model):
    #: The label on the candidate's paper: q1, q2, ... or the task id.
    label: str
    kind: Literal["question", "task"]
    #: The bank id; reviewer view only (an id can give an answer away).
    id: str | None = None
    type: str
    section: str
    status: ItemStatus
    #: None while pending.
    points: float | None
    max_points: float
    #: What the candidate answered (or the solution file's path).
    response: Any = None
    #: Why the item scored what it did, in words the candidate may read.
    note: str = ""
    #: Seconds spent on it in `quizzer exam`, as the exam recorded them.
    seconds: float | None = None
    # --- reviewer view only ---
    #: The grader's own words, which may quote the right answer.
    feedback: str | None = None
    expected: str | None = None
    explanation: str | None = None
    model_answer: str | None = None
    rubric: list[str] | None = None
    review: Review | None = None
    #: Other candidates' files (and the reference solution) this solution file is
    #: identical or nearly identical to (`quizzer.screen.similarity`).
    similar: list[str] = Field(default_factory=list)
    checks: list[CheckScore] = Field(default_factory=list)
    judge: JudgeInfo | None = None


class SectionResult(_Model):
    id: str
    title: str
    status: Outcome
    points: float
    max_points: float
    #: Points still to be decided by a reviewer.
    pending_points: float
    percent: float
    threshold: ThresholdInfo | None = None
    time_limit_minutes: int | None = None
    items: list[ItemResult]


class ScreenInfo(_Model):
    title: str
    file: str
    sha256: str
    #: Reviewer view only: with it and the banks, anyone can rebuild every paper.
    seed: int | str | None = None
    #: The candidate's: with their extra time, and their deadline.
    time_limit_minutes: int | None = None
    deadline: str | None = None
    extra_time: str = ""


class ScreenResults(_Model):
    schema_version: Literal[1] = 1
    kind: Literal["quizzer-screen-results"] = "quizzer-screen-results"
    view: Literal["reviewer", "candidate"] = "reviewer"
    candidate: str
    screen: ScreenInfo
    status: Outcome
    message: str
    points: float
    max_points: float
    pending_points: float
    percent: float
    threshold: ThresholdInfo
    sections: list[SectionResult]
    graded_at: str
    quizzer_version: str
    #: How the paper graded here was issued: drawn at grading because none was issued,
    #: re-issued with changed questions, issued with another quizzer version.
    paper_notes: list[str] = Field(default_factory=list)
    #: The file the reviews of this candidate are kept in (reviewer view only):
    #: `quizzer screen review` adds to it, and every grading merges it.
    reviews_file: str | None = None

    def items(self) -> list[ItemResult]:
        return [item for section in self.sections for item in section.items]

    def pending(self) -> list[ItemResult]:
        return [item for item in self.items() if item.status == "pending"]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def candidate_view(results: ScreenResults) -> ScreenResults:
    """What the candidate may see: scores, statuses and notes, but no bank ids, answer
    keys, explanations, model answers, rubrics, reviewer notes, judge seeds or metrics."""
    sections = []
    for section in results.sections:
        items = [
            item.model_copy(
                update={
                    "id": item.id if item.kind == "task" else None,
                    "feedback": None,
                    "expected": None,
                    "explanation": None,
                    "model_answer": None,
                    "rubric": None,
                    "review": None,
                    "similar": [],
                    "checks": [
                        c.model_copy(update={"metrics": {}, "message": _first_line(c.message)})
                        for c in item.checks
                    ],
                    "judge": item.judge.model_copy(update={"seed": None}) if item.judge else None,
                }
            )
            for item in section.items
        ]
        sections.append(section.model_copy(update={"items": items}))
    screen = results.screen.model_copy(
        update={"seed": None, "file": Path(results.screen.file).name}
    )
    return results.model_copy(
        update={"view": "candidate", "sections": sections, "screen": screen, "reviews_file": None}
    )


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def read_results(path: Path) -> ScreenResults:
    """A results document written by `quizzer screen grade`."""
    from pydantic import ValidationError

    from quizzer.errors import UsageError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; `quizzer screen grade` writes it") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it as JSON ({exc})") from None
    try:
        return ScreenResults.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(
            f"{path} is not a screen results document (at {where}: {first['msg']})"
        ) from None


def json_schema() -> dict[str, Any]:
    schema = ScreenResults.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://quizzer.invalid/screen/results.schema.json"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # regenerate the shipped schema file
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_PATH}\n")

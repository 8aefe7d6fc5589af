"""Reviews: a reviewer's scores for open answers and overrides of automatic grades,
kept in a file of their own so that grading again never loses them.

Called by `quizzer screen review` (which records a review and rewrites the reports it
affects) and by the grader (which merges the file into every grade). The file is
`<candidate>.reviews.json` beside the candidate's issued paper, on the grader's side.
A review remembers the answer it judged: when the candidate's answer has changed
since, it is not applied, and the item says so. An override of an automatically
graded item needs a reason, which is recorded with the points grading gave.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from quizzer.bank.problems import display_path, suggest
from quizzer.errors import UsageError
from quizzer.screen import scoring
from quizzer.screen.report import write_text
from quizzer.screen.results import ItemResult, Review, ScreenResults


class ReviewFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    kind: Literal["quizzer-reviews"] = "quizzer-reviews"
    candidate: str
    #: label -> the latest review of that item.
    reviews: dict[str, Review] = {}


def reviews_path(issued_folder: Path, candidate: str) -> Path:
    return issued_folder / f"{candidate}.reviews.json"


def read_reviews(path: Path, candidate: str) -> ReviewFile:
    """The reviews kept in `path` (none when it does not exist yet)."""
    if not path.exists():
        return ReviewFile(candidate=candidate)
    try:
        found = ReviewFile.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{display_path(path)}: cannot read the reviews: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise UsageError(
            f"{display_path(path)}: not a reviews file ({where}: {first['msg']}); restore it "
            "from version control"
        ) from None
    if found.candidate != candidate:
        raise UsageError(f"{display_path(path)} holds the reviews of {found.candidate!r}")
    return found


def write_reviews(path: Path, reviews: ReviewFile) -> None:
    """Write the file whole or not at all (a UsageError naming it if it cannot)."""
    write_text(path, reviews.model_dump_json(indent=2) + "\n")


def make_review(
    results: ScreenResults,
    label: str,
    *,
    points: float | None = None,
    rubric: Sequence[int] | None = None,
    reviewer: str = "reviewer",
    note: str = "",
    now: datetime | None = None,
) -> Review:
    """A review of item `label`: `points` out of its maximum, or the share of rubric
    points covered (0-based indexes). An automatically graded item can be overridden
    with `points` and a reason in `note`."""
    if results.view != "reviewer":
        raise UsageError(
            "this is the candidate's view of the results; review the reviewer's results.json"
        )
    if (points is None) == (rubric is None):
        raise UsageError("give the score as --points N or as --rubric I,J (the points covered)")
    items = {item.label: item for item in results.items()}
    item = items.get(label)
    if item is None:
        hint = suggest(label, items)
        more = f"; did you mean '{hint}'?" if hint else ""
        raise UsageError(f"no item '{label}' in these results{more}")
    override = item.type != "open"
    if override:
        if not note.strip():
            raise UsageError(
                f"'{label}' is a {item.type} item, graded automatically; to override its "
                "grade, give the reason with --note (it is recorded)"
            )
        if rubric is not None:
            raise UsageError(f"'{label}' has no rubric; give --points")
    elif item.status not in ("pending", "reviewed"):
        raise UsageError(f"'{label}' was not answered ({item.status}); it stays at 0 points")
    ticked: list[int] | None = None
    if rubric is not None:
        size = len(item.rubric or [])
        bad = [i for i in rubric if not 0 <= i < size]
        if bad:
            raise UsageError(
                f"rubric point(s) {', '.join(map(str, bad))} do not exist; '{label}' has "
                f"points 0 to {size - 1}"
            )
        ticked = sorted(set(rubric))
        points = item.max_points * len(ticked) / size if size else 0.0
    assert points is not None
    if not 0 <= points <= item.max_points:
        raise UsageError(f"--points must be between 0 and {item.max_points:g} for '{label}'")
    auto = item.review.auto_points if item.review and item.review.override else item.points
    return Review(
        points=scoring.pts(points),
        reviewer=reviewer,
        note=note,
        rubric_ticked=ticked,
        reviewed_at=(now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        answer=item.response,
        override=override,
        auto_points=auto if override else None,
    )


def _same_answer(a: object, b: object) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _reviewed(item: ItemResult, review: Review) -> ItemResult:
    if review.override:
        was = item.review.auto_points if item.review and item.review.override else item.points
        note = (
            f"overridden by {review.reviewer}: {review.points:g} of {item.max_points:g} points "
            f"(graded {was:g} automatically): {review.note}"
        )
        return item.model_copy(
            update={
                "points": review.points,
                "review": review.model_copy(update={"auto_points": was}),
                "note": note,
            }
        )
    return item.model_copy(
        update={
            "status": "reviewed",
            "points": review.points,
            "review": review,
            "note": f"reviewed: {review.points:g} of {item.max_points:g} points",
        }
    )


def merge(results: ScreenResults, reviews: ReviewFile) -> ScreenResults:
    """`results` with every review that still fits applied: its item exists and holds
    the answer that was reviewed. A review of another answer leaves the item as graded,
    with a note that it needs reviewing again."""
    if not reviews.reviews:
        return results
    sections = []
    for section in results.sections:
        items = []
        for item in section.items:
            review = reviews.reviews.get(item.label)
            if review is None:
                items.append(item)
            elif not _same_answer(review.answer, item.response):
                stale = (
                    f"{item.note}; a review from {review.reviewed_at} judged an earlier answer "
                    "and was not applied: review it again"
                ).lstrip("; ")
                items.append(item.model_copy(update={"note": stale}))
            elif not review.override and item.status not in ("pending", "reviewed"):
                items.append(item)
            else:
                items.append(_reviewed(item, review))
        sections.append(section.model_copy(update={"items": items}))
    return scoring.recompute(results.model_copy(update={"sections": sections}))


def record(results: ScreenResults, label: str, review: Review, path: Path) -> ScreenResults:
    """Keep `review` in the reviews file at `path` and return `results` with it."""
    kept = read_reviews(path, results.candidate)
    updated = kept.model_copy(update={"reviews": {**kept.reviews, label: review}})
    write_reviews(path, updated)
    return merge(results, ReviewFile(candidate=results.candidate, reviews={label: review}))

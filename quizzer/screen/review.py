"""Manual review of open questions: score one item of a results document, by points or
by the rubric points it covers, and recompute the totals and the outcome.

Called by `quizzer screen review`. Only the reviewer's document can be reviewed (the
candidate's view has no rubric); the review is recorded in the item, with who scored
it and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from quizzer.bank.problems import suggest
from quizzer.errors import UsageError
from quizzer.screen import scoring
from quizzer.screen.results import Review, ScreenResults


def apply_review(
    results: ScreenResults,
    label: str,
    *,
    points: float | None = None,
    rubric: Sequence[int] | None = None,
    reviewer: str = "reviewer",
    note: str = "",
    now: datetime | None = None,
) -> ScreenResults:
    """`results` with item `label` scored: `points` out of its maximum, or the share
    of rubric points covered (0-based indexes)."""
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
    if item.type != "open":
        raise UsageError(
            f"'{label}' is a {item.type} item, graded automatically; only open questions are "
            "reviewed"
        )
    if item.status not in ("pending", "reviewed"):
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
    when = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    review = Review(
        points=scoring.pts(points),
        reviewer=reviewer,
        note=note,
        rubric_ticked=ticked,
        reviewed_at=when,
    )
    updated = item.model_copy(
        update={
            "status": "reviewed",
            "points": scoring.pts(points),
            "review": review,
            "note": f"reviewed: {scoring.pts(points):g} of {item.max_points:g} points",
        }
    )
    sections = [
        s.model_copy(update={"items": [updated if i.label == label else i for i in s.items]})
        for s in results.sections
    ]
    return scoring.recompute(results.model_copy(update={"sections": sections}))

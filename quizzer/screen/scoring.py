"""Points: one concept answer, one judged task, and the totals, section and overall
outcomes of a results document. Pure functions over plain data.

Called by `quizzer.screen.grader` (first grading) and `quizzer.screen.review` (after a
reviewer scores an open question, the totals are recomputed from the items). An open
question is `pending` until reviewed: it never counts as zero or as full marks, and an
outcome it could still tip is `pending`, not pass or fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizzer.bank.grading import grade
from quizzer.bank.models import UNSCORED_CHECKS, Coding, Open, Question, text_in
from quizzer.screen.answers import check_response, unknown_options
from quizzer.screen.models import PartialCredit, Threshold
from quizzer.screen.paper import PaperItem
from quizzer.screen.results import (
    CheckScore,
    ItemResult,
    ItemStatus,
    JudgeInfo,
    Outcome,
    ScreenResults,
    SectionResult,
    ThresholdInfo,
)

if TYPE_CHECKING:
    from quizzer.judge.result import JudgeResult

#: Slack when comparing sums of points with a threshold.
EPS = 1e-9


def pts(value: float) -> float:
    """Points rounded for the document (sums of thirds and the like)."""
    return round(value + 0.0, 4)


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}" + ("" if n == 1 else "s")


def score_question(
    item: PaperItem,
    question: Question,
    raw: Any,
    partial: PartialCredit,
    lang: str = "en",
    read_note: str | None = None,
) -> ItemResult:
    """Grade one concept answer (`raw` as read from answers.yaml, None when absent;
    `read_note` says how an answer that was not valid YAML was read)."""
    result = _score_question(item, question, raw, partial, lang)
    if read_note:
        note = f"{read_note}; {result.note}" if result.note else read_note
        result = result.model_copy(update={"note": note})
    return result


def _score_question(
    item: PaperItem, question: Question, raw: Any, partial: PartialCredit, lang: str
) -> ItemResult:
    base: dict[str, Any] = {
        "label": item.label,
        "kind": "question",
        "id": question.id,
        "type": question.type,
        "section": item.section,
        "max_points": item.points,
        "response": raw,
        "explanation": text_in(question.explanation, lang),
    }
    if isinstance(question, Open):
        base["model_answer"] = text_in(question.model_answer, lang)
        base["rubric"] = [text_in(r, lang) for r in question.rubric]
    response, problem = check_response(question, raw)
    if problem == "no answer":
        return ItemResult(**base, status="missing", points=0.0, note="no answer: 0 points")
    if problem is not None:
        return ItemResult(
            **base, status="invalid", points=0.0, note=f"answer not graded: {problem}; 0 points"
        )
    if isinstance(question, Open):
        note = "waits for a reviewer (quizzer screen review); not counted yet"
        return ItemResult(**base, status="pending", points=None, note=note)
    result = grade(question, response, lang)
    fraction = result.score
    if question.type == "multiple_choice" and partial.multiple_choice == "none":
        fraction = 1.0 if result.correct else 0.0
    points = pts(item.points * fraction)
    status: ItemStatus
    if result.correct:
        status, notes = "right", ["right"]
    elif fraction > 0:
        status, notes = "partial", [f"partly right: {fraction:.2f} of the points"]
    else:
        status, notes = "wrong", ["wrong"]
    unknown = unknown_options(question, response)
    if unknown:
        options = ", ".join(o.id for o in getattr(question, "options", ()))
        notes.append(f"{', '.join(map(repr, unknown))} is not an option ({options})")
    return ItemResult(
        **base,
        status=status,
        points=points,
        note="; ".join(notes),
        feedback=result.feedback,
        expected=result.expected,
    )


def task_weights(item: PaperItem, task: Coding) -> dict[str, float]:
    """Each check's weight: the screen's, else 1 for every check the task runs except
    those that earn nothing by themselves (`UNSCORED_CHECKS`: an untouched starter
    passes `load`)."""
    assert item.task is not None
    if item.task.checks is not None:
        return {name: float(w) for name, w in item.task.checks.items()}
    scored: dict[str, float] = {n: 1.0 for n in task.spec.checks if n not in UNSCORED_CHECKS}
    return scored or {name: 1.0 for name in task.spec.checks}


def unjudged_task(
    item: PaperItem, task: Coding, status: str, note: str, response: Any
) -> ItemResult:
    """A task that was not judged: no file (missing) or one that cannot be (invalid)."""
    return ItemResult(
        label=item.label,
        kind="task",
        id=task.id,
        type="coding",
        section=item.section,
        status="missing" if status == "missing" else "invalid",
        points=0.0,
        max_points=item.points,
        response=response,
        note=note,
    )


def score_task(
    item: PaperItem, task: Coding, result: JudgeResult, partial: PartialCredit, response: str
) -> ItemResult:
    """Points for a judged solution: split over the checks by weight (per_check), or
    all of them only when every check passed (all_or_nothing). A check the task does
    not run (such as a limit the worker hit after its checks) that did not pass costs
    all the points."""
    assert item.task is not None
    weights = task_weights(item, task)
    total_weight = sum(weights.values()) or 1.0
    mode = item.task.scoring or partial.coding
    passed = result.status.value == "pass"
    blockers = [
        c
        for c in result.checks
        if (c.name not in task.spec.checks or c.name == "forbidden_api")
        and c.status.value not in ("pass", "skipped")
    ]
    checks = []
    for check in result.checks:
        weight = weights.get(check.name, 0.0)
        share = item.points * weight / total_weight
        ok = check.status.value == "pass"
        counts = (ok if mode == "per_check" else passed) and not blockers
        checks.append(
            CheckScore(
                name=check.name,
                status=check.status.value,
                points=pts(share if counts else 0.0),
                max_points=pts(share),
                weight=weight,
                message=check.message,
                metrics=dict(check.metrics),
            )
        )
    earned = sum(weights.get(c.name, 0.0) for c in result.checks if c.status.value == "pass")
    if mode == "all_or_nothing":
        earned = total_weight if passed else 0.0
    points = 0.0 if blockers else pts(item.points * min(earned, total_weight) / total_weight)
    if passed:
        note = "all checks passed"
    else:
        first = (result.message or result.status.value).splitlines()[0]
        note = f"{result.status.value}: {first}"
        if blockers and blockers[0].name == "forbidden_api":
            note += "; it uses an API the task forbids, so the task scores 0"
        elif blockers:
            note += f"; the {blockers[0].name} check did not pass, so the task scores 0"
        elif mode == "all_or_nothing":
            note += "; all-or-nothing scoring: 0 points"
    return ItemResult(
        label=item.label,
        kind="task",
        id=task.id,
        type="coding",
        section=item.section,
        status=result.status.value,  # type: ignore[arg-type]
        points=points,
        max_points=item.points,
        response=response,
        note=note,
        checks=checks,
        judge=JudgeInfo(
            status=result.status.value,
            message=result.message,
            sandbox=result.sandbox.name,
            protections=list(result.sandbox.protections),
            device=result.device.used,
            seed=result.seed,
            sha256=result.sha256,
            seconds=result.timings.total_s,
        ),
    )


# --- totals and outcomes ----------------------------------------------------------


def threshold_info(threshold: Threshold | None, max_points: float) -> ThresholdInfo | None:
    if threshold is None:
        return None
    return ThresholdInfo(
        rule=threshold.describe(), required_points=pts(threshold.required(max_points))
    )


def outcome(points: float, pending: float, threshold: ThresholdInfo | None) -> Outcome:
    """pass when the points already reach the threshold, fail when even full marks on
    every pending item would not, pending otherwise."""
    if threshold is None:
        return "pass"
    need = threshold.required_points - EPS
    if points >= need:
        return "pass"
    if points + pending < need:
        return "fail"
    return "pending"


def section_totals(section: SectionResult) -> SectionResult:
    points = pts(sum(i.points or 0.0 for i in section.items))
    pending = pts(sum(i.max_points for i in section.items if i.status == "pending"))
    max_points = pts(sum(i.max_points for i in section.items))
    return section.model_copy(
        update={
            "points": points,
            "pending_points": pending,
            "max_points": max_points,
            "percent": round(100.0 * points / max_points, 2) if max_points else 0.0,
            "status": outcome(points, pending, section.threshold),
        }
    )


def recompute(results: ScreenResults) -> ScreenResults:
    """Totals, statuses and the message of `results`, from its items."""
    sections = [section_totals(s) for s in results.sections]
    points = pts(sum(s.points for s in sections))
    pending = pts(sum(s.pending_points for s in sections))
    max_points = pts(sum(s.max_points for s in sections))
    overall = outcome(points, pending, results.threshold)
    statuses = [overall, *(s.status for s in sections)]
    status: Outcome = (
        "fail" if "fail" in statuses else "pending" if "pending" in statuses else "pass"
    )
    percent = round(100.0 * points / max_points, 2) if max_points else 0.0
    score = f"{points:g} of {max_points:g} points ({percent:g}%)"
    need = f"needs {results.threshold.rule}"
    if status == "pass":
        message = f"passed: {score}, {need}"
    elif status == "fail":
        failed = [s for s in sections if s.status == "fail"]
        if overall != "fail" and failed:
            s = failed[0]
            assert s.threshold is not None
            message = (
                f"did not pass: section '{s.id}' scored {s.points:g} of {s.max_points:g} points, "
                f"needs {s.threshold.rule}"
            )
        else:
            message = f"did not pass: {score}, {need}"
    else:
        count = sum(1 for s in sections for i in s.items if i.status == "pending")
        message = (
            f"undecided: {count} open question(s) worth {_plural(pending, 'point')} await review "
            f"(quizzer screen review); {score} so far, {need}"
        )
    return results.model_copy(
        update={
            "sections": sections,
            "points": points,
            "pending_points": pending,
            "max_points": max_points,
            "percent": percent,
            "status": status,
            "message": message,
        }
    )

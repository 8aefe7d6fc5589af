"""Spaced repetition: turn one answer into an FSRS rating, and a rating into the
question's next review date (the `fsrs` package does the scheduling).

`quizzer.store.db.Store.record_attempt` calls `schedule`; the practice UI calls
`derive_rating` to show the learner what their answer counted as. Pure functions
apart from fsrs; no SQLite, no UI.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler, State

#: Seconds a prepared learner needs for a question of each type. Slower than three
#: times this counts as a struggle, faster than 40% of it as easy.
EXPECTED_SECONDS: dict[str, float] = {
    "true_false": 10.0,
    "single_choice": 20.0,
    "multiple_choice": 30.0,
    "numeric": 40.0,
    "short_answer": 40.0,
    "code_output": 45.0,
    "open": 90.0,
}

RATING_NAMES: dict[int, str] = {1: "again", 2: "hard", 3: "good", 4: "easy"}


def derive_rating(
    *,
    correct: bool,
    score: float,
    hints_used: int,
    seconds: float,
    qtype: str,
    first_time: bool = False,
) -> Rating:
    """The FSRS rating an automatically graded answer earns (the learner may replace
    it after seeing the answer, as in Anki).

    - wrong (score below 0.5): Again. Partly right (multiple choice, 0.5 <= score < 1): Hard.
    - right but with hints, or slower than 3x the expected time: Hard.
    - right, no hints, within 40% of the expected time: Easy, except the first time a
      question is seen (a quick right answer then may be a lucky guess, and Easy
      would put the question days away). Otherwise Good.
    """
    if not correct:
        return Rating.Hard if score >= 0.5 else Rating.Again
    expected = EXPECTED_SECONDS.get(qtype, 30.0)
    if hints_used > 0 or seconds > 3 * expected:
        return Rating.Hard
    if seconds <= 0.4 * expected and not first_time:
        return Rating.Easy
    return Rating.Good


def self_rating_score(rating: Rating) -> tuple[bool, float]:
    """How a self-rated (open) answer counts in accuracy: Good and Easy are right."""
    return rating >= Rating.Good, {1: 0.0, 2: 0.5, 3: 1.0, 4: 1.0}[int(rating)]


@dataclass(frozen=True)
class Scheduled:
    card: Card
    card_json: str
    due: str
    last_review: str


def new_card(question_id: str) -> Card:
    # A stable id; fsrs would otherwise sleep 1 ms to make a time-based one.
    return Card(card_id=zlib.crc32(question_id.encode()), state=State.Learning)


def card_from_json(text: str) -> Card:
    return Card.from_dict(json.loads(text))


#: The share of reviews FSRS aims to have answered right (fsrs's own default).
DEFAULT_RETENTION = 0.9


def make_scheduler(desired_retention: float = DEFAULT_RETENTION) -> Scheduler:
    """FSRS aiming at `desired_retention` (higher: more reviews, spaced closer)."""
    # No fuzzing: the same history always gives the same schedule (tests, exports).
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def schedule(
    scheduler: Scheduler,
    card: Card,
    rating: Rating,
    when: datetime,
    duration_ms: int,
) -> Scheduled:
    when = when.astimezone(timezone.utc)
    updated, _log = scheduler.review_card(
        card, rating, review_datetime=when, review_duration=duration_ms
    )
    return Scheduled(
        card=updated,
        card_json=json.dumps(updated.to_dict()),
        due=iso(updated.due),
        last_review=iso(when),
    )


def iso(when: datetime) -> str:
    """UTC ISO-8601 with a fixed width, so that text order is time order in SQL."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

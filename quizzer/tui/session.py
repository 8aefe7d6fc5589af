"""Practice sessions as plain data: which questions, in what order, and what the
learner did with each (answer, grade, hints, time). No widgets here.

The practice and exam screens drive a `Session`; the home screen builds one with
`practice_session`, `learn_session`, `review_session` or `bookmark_session`, and
restores the last one from the store ("continue where you left off").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from quizzer.bank.grading import Grade
from quizzer.bank.loader import Bank
from quizzer.bank.models import Question
from quizzer.store import Store
from quizzer.store.db import AttemptResult
from quizzer.tui.study import suspended

DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}
#: How many new questions one "learn new" session introduces.
LEARN_BATCH = 10


@dataclass(frozen=True)
class Filters:
    """What the learner narrowed the bank to; None matches anything."""

    topic: str | None = None
    tag: str | None = None
    type: str | None = None
    difficulty: str | None = None

    def concept_questions(self, bank: Bank) -> list[Question]:
        """Matching questions that are answered in the UI (coding tasks are judged)."""
        found = bank.filter(
            topic=self.topic, tag=self.tag, type=self.type, difficulty=self.difficulty
        )
        return [q for q in found if q.type != "coding"]

    def active(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Any) -> Filters:
        if not isinstance(data, dict):
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{k: v if isinstance(v, str) else None for k, v in known.items()})


@dataclass
class QuestionState:
    """What happened to one question in this session."""

    response: Any = None
    grade: Grade | None = None
    hints_shown: int = 0
    seconds: float = 0.0
    rating: int | None = None
    #: open questions: the answer is revealed and the rubric can be ticked.
    revealed: bool = False
    #: answered before the app was closed (a resumed session); the grade is gone.
    earlier: bool = False
    #: open questions: the rubric points (0-based) the learner ticked.
    ticks: list[int] = field(default_factory=list)
    #: when the review schedule brings the question back (after a rated answer).
    due: datetime | None = None
    #: what the store recorded for this answer (to rate it again or take it back).
    recorded: AttemptResult | None = None
    #: how many times the session asked it again after it was missed.
    repeats: int = 0

    def take_back(self) -> None:
        """Forget the answer (its draft stays): the question is open again."""
        self.grade = self.rating = self.due = self.recorded = None
        self.revealed = False
        self.ticks = []

    @property
    def answered(self) -> bool:
        return self.grade is not None or self.earlier


@dataclass
class Session:
    """An ordered run through questions. `mode` is practice, learn, review,
    bookmarks or exam; attempts are recorded under that mode (bookmarks as practice)."""

    mode: str
    title: str
    ids: list[str]
    index: int = 0
    states: dict[str, QuestionState] = field(default_factory=dict)
    #: Questions rated "again" here, waiting to be asked once more before the session
    #: ends (learning steps), in the order they were missed.
    again: list[str] = field(default_factory=list)
    #: Every question missed (rated "again") at least once in this session.
    missed: list[str] = field(default_factory=list)
    #: The score of each question's first answer here (repeats do not raise it).
    first_scores: dict[str, float] = field(default_factory=dict)
    #: The title as words to translate: an i18n key and a topic (None: all topics),
    #: so that a session shows its title in the language of the moment.
    label: str | None = None
    topic: str | None = None

    def title_in(self, lang: str) -> str:
        from quizzer.tui.i18n import topic_name, tr

        if self.label is None:
            return self.title
        what = tr("home.all_topics", lang) if self.topic is None else topic_name(self.topic, lang)
        return tr(self.label, lang, what=what)

    def __post_init__(self) -> None:
        for qid in self.ids:
            self.states.setdefault(qid, QuestionState())

    def rated(self, qid: str, rating: int, score: float) -> None:
        """Note a question's (new) rating: "again" brings it back before the session
        ends; another rating of the same answer takes that back. The first answer's
        score is the one the session's score counts."""
        self.first_scores.setdefault(qid, score)
        first = self.states[qid].repeats == 0
        if rating == 1:
            if qid not in self.again:
                self.again.append(qid)
            if qid not in self.missed:
                self.missed.append(qid)
            return
        if qid in self.again:
            self.again.remove(qid)
        if first and qid in self.missed:  # the learner re-rated their first answer
            self.missed.remove(qid)

    def taken_back(self, qid: str) -> None:
        """An answer was undone: as if it had never been given."""
        if qid in self.again:
            self.again.remove(qid)
        if self.states[qid].repeats == 0:
            self.first_scores.pop(qid, None)
            if qid in self.missed:
                self.missed.remove(qid)

    def bring_back(self) -> int:
        """Ask the questions missed here once more: they move to the end, open again,
        and the session goes to the first of them. Returns how many came back."""
        back = [q for q in self.again if q in self.states]
        self.again = []
        for qid in back:
            self.ids.remove(qid)
            self.ids.append(qid)
            state = self.states[qid]
            state.take_back()
            state.response = None
            state.hints_shown = 0
            state.repeats += 1
        if back:
            self.index = len(self.ids) - len(back)
        return len(back)

    def seconds(self) -> float:
        return sum(s.seconds for s in self.states.values())

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def current_id(self) -> str:
        return self.ids[self.index]

    @property
    def current(self) -> QuestionState:
        return self.states[self.current_id]

    @property
    def record_mode(self) -> str:
        return "practice" if self.mode == "bookmarks" else self.mode

    def move(self, step: int) -> bool:
        """Go forward or back; False at either end (the index stays)."""
        target = self.index + step
        if 0 <= target < len(self.ids):
            self.index = target
            return True
        return False

    def skip(self) -> bool:
        """Put an unanswered question at the end of the queue; returns whether the
        view moved (False when it is the only unanswered one left)."""
        if self.current.answered:
            return self.move(1)
        later = [q for q in self.ids[self.index + 1 :] if not self.states[q].answered]
        if not later:
            return self.move(1)
        qid = self.ids.pop(self.index)
        self.ids.append(qid)
        return True

    def next_unanswered(self) -> int | None:
        order = list(range(self.index, len(self.ids))) + list(range(self.index))
        return next((i for i in order if not self.states[self.ids[i]].answered), None)

    @property
    def finished(self) -> bool:
        return all(s.answered for s in self.states.values())

    def score(self) -> tuple[float, int]:
        """(sum of the first answers' scores, number answered)."""
        graded = {q: s.grade.score for q, s in self.states.items() if s.grade is not None}
        return sum({**graded, **self.first_scores}.values()), len(graded)

    def to_resume(self) -> dict[str, Any]:
        answered = [q for q in self.ids if self.states[q].answered]
        return {
            "mode": self.mode,
            "title": self.title,
            "label": self.label,
            "topic": self.topic,
            "ids": list(self.ids),
            "index": self.index,
            "answered": answered,
        }

    @classmethod
    def from_resume(cls, data: Any, bank: Bank) -> Session | None:
        """Rebuild a saved session; questions gone from the bank are dropped. The
        answers themselves are in the store; here they only count as done."""
        if not isinstance(data, dict) or not isinstance(data.get("ids"), list):
            return None
        ids = [q for q in data["ids"] if isinstance(q, str) and q in bank]
        if not ids or data.get("mode") == "exam":
            return None
        session = cls(str(data.get("mode", "practice")), str(data.get("title", "")), ids)
        label, topic = data.get("label"), data.get("topic")
        if isinstance(label, str) and label.startswith("session."):
            session.label = label
            session.topic = topic if isinstance(topic, str) else None
        done = set(data.get("answered") or [])
        unanswered = [i for i, q in enumerate(ids) if q not in done]
        if not unanswered:
            return None
        index = data.get("index", 0)
        index = index if isinstance(index, int) and 0 <= index < len(ids) else 0
        session.index = index if ids[index] not in done else unanswered[0]
        for qid in done & set(ids):
            session.states[qid].earlier = True
        return session


def _ordered(questions: list[Question]) -> list[str]:
    """Easy before hard; the bank's order within a difficulty."""
    ranked = sorted(enumerate(questions), key=lambda p: (DIFFICULTY_ORDER[p[1].difficulty], p[0]))
    return [q.id for _, q in ranked]


def practice_session(
    bank: Bank, filters: Filters, title: str, skip: frozenset[str] | set[str] = frozenset()
) -> Session:
    """Every matching question but those in `skip` (suspended), easiest first."""
    found = [q for q in filters.concept_questions(bank) if q.id not in skip]
    return Session("practice", title, _ordered(found))


def learn_session(
    bank: Bank, store: Store, filters: Filters, title: str, limit: int = LEARN_BATCH
) -> Session:
    """Questions never scheduled for review yet, easiest first."""
    seen = store.scheduled_ids() | suspended(store)
    fresh = [q for q in filters.concept_questions(bank) if q.id not in seen]
    return Session("learn", title, _ordered(fresh)[:limit])


def due_ids(bank: Bank, store: Store, now: datetime, filters: Filters) -> list[str]:
    """Questions due for review at `now` that are still in the bank and match the
    filters, most overdue first (the order the store gives)."""
    matching = {q.id for q in filters.concept_questions(bank)} - suspended(store)
    return [q for q in store.due_ids(now) if q in matching]


def review_session(
    bank: Bank,
    store: Store,
    now: datetime,
    title: str,
    filters: Filters | None = None,
    limit: int | None = None,
) -> Session:
    """The questions due for review at `now` within the filters, the most overdue
    first, at most `limit` of them."""
    due = due_ids(bank, store, now, filters or Filters())
    return Session("review", title, due if limit is None else due[:limit])


def bookmark_session(bank: Bank, store: Store, title: str) -> Session:
    marked = store.bookmarks() - suspended(store)
    return Session("bookmarks", title, [q.id for q in bank.questions if q.id in marked])


def due_count(bank: Bank, store: Store, now: datetime, filters: Filters | None = None) -> int:
    return len(due_ids(bank, store, now, filters or Filters()))


def new_count(bank: Bank, store: Store, filters: Filters) -> int:
    seen = store.scheduled_ids() | suspended(store)
    return sum(1 for q in filters.concept_questions(bank) if q.id not in seen)

"""A candidate's paper as plain data: which questions and tasks, in which order, under
which labels, worth how many points. Pure: the same screen and candidate always give
the same paper.

Called by `quizzer.screen.issued` when a paper is issued (`quizzer screen paper`,
`quizzer exam`): the draw happens once, and grading reads the issued record, never a
fresh draw. Concept questions get opaque labels
(`q1`, `q2`, ...) because bank ids can give an answer away; tasks keep their ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from quizzer.bank.models import Coding, Question
from quizzer.screen import sampling
from quizzer.screen.load import LoadedScreen
from quizzer.screen.models import Section, TaskItem, Threshold

#: The folder of a paper (and of a submission) that holds `<task-id>.py` files.
SOLUTIONS = "solutions"


@dataclass(frozen=True)
class PaperItem:
    #: What the candidate sees and answers under: `q3`, or a task id.
    label: str
    kind: Literal["question", "task"]
    question_id: str
    section: str
    points: float
    #: How it got on the paper: chosen by id, or drawn.
    source: Literal["pick", "draw"]
    #: For tasks: how the screen scores it.
    task: TaskItem | None = None


@dataclass(frozen=True)
class PaperSection:
    id: str
    title: str
    items: tuple[PaperItem, ...]
    threshold: Threshold | None
    time_limit_minutes: int | None

    @property
    def max_points(self) -> float:
        return sum(i.points for i in self.items)


@dataclass(frozen=True)
class Paper:
    title: str
    candidate: str
    sections: tuple[PaperSection, ...]
    threshold: Threshold
    #: Time limits (here and in the sections) include the candidate's extra time.
    time_limit_minutes: int | None
    #: When hand-ins close for this candidate (ISO 8601), if the screen says.
    deadline: str | None = None
    #: Extra time this candidate has, in words ("" for none).
    extra_time: str = ""

    def items(self) -> Iterator[PaperItem]:
        for section in self.sections:
            yield from section.items

    def questions(self) -> tuple[PaperItem, ...]:
        return tuple(i for i in self.items() if i.kind == "question")

    def tasks(self) -> tuple[PaperItem, ...]:
        return tuple(i for i in self.items() if i.kind == "task")

    def labels(self) -> tuple[str, ...]:
        return tuple(i.label for i in self.questions())

    def item(self, label: str) -> PaperItem:
        for item in self.items():
            if item.label == label:
                return item
        raise KeyError(label)

    @property
    def max_points(self) -> float:
        return sum(s.max_points for s in self.sections)


def build_paper(loaded: LoadedScreen, candidate: str) -> Paper:
    """The paper of `candidate` (a valid id, see `sampling.check_candidate`)."""
    candidate = sampling.check_candidate(candidate)
    screen = loaded.screen
    seed = screen.seed
    taken = {
        item.id for section in screen.sections for item in section.questions if item.id is not None
    }
    extra = screen.accommodation(candidate)
    sections: list[PaperSection] = []
    number = 0
    for section in screen.sections:
        chosen = _choose(section, loaded, candidate, taken)
        if section.shuffle:
            order = sampling.ranked(
                [qid for qid, _, _ in chosen], "order", seed, candidate, section.id
            )
            by_id = {qid: (points, source) for qid, points, source in chosen}
            chosen = [(qid, *by_id[qid]) for qid in order]
        items: list[PaperItem] = []
        for qid, points, source in chosen:
            number += 1
            items.append(PaperItem(f"q{number}", "question", qid, section.id, points, source))
        for task in section.tasks:
            items.append(PaperItem(task.id, "task", task.id, section.id, task.points, "pick", task))
        sections.append(
            PaperSection(
                section.id,
                section.title,
                tuple(items),
                section.threshold,
                extra.minutes(section.time_limit_minutes),
            )
        )
    deadline = extra.deadline or screen.deadline
    words = [f"{extra.extra_percent}%" if extra.extra_percent else ""]
    words.append(f"{extra.extra_minutes} minutes" if extra.extra_minutes else "")
    return Paper(
        screen.title,
        candidate,
        tuple(sections),
        screen.threshold,
        extra.minutes(screen.time_limit_minutes),
        deadline.isoformat() if deadline else None,
        " + ".join(w for w in words if w),
    )


def _choose(
    section: Section, loaded: LoadedScreen, candidate: str, taken: set[str]
) -> list[tuple[str, float, Literal["pick", "draw"]]]:
    """The section's questions as (id, points, source), in the screen's order; draws
    take no question that is already on the paper (`taken` grows as they go)."""
    bank, seed = loaded.bank, loaded.screen.seed
    chosen: list[tuple[str, float, Literal["pick", "draw"]]] = []
    for index, item in enumerate(section.questions):
        points = item.points or section.points
        if item.id is not None:
            chosen.append((item.id, points, "pick"))
            continue
        pool = [
            q.id
            for q in bank.questions
            if q.type != "coding"
            and q.id not in taken
            and q.id not in item.exclude
            and item.matches(q.topic, q.tags, q.type, q.difficulty)
        ]
        picked = sampling.draw(pool, item.draw or 0, "draw", seed, candidate, section.id, index)
        taken.update(picked)
        chosen += [(qid, points, "draw") for qid in picked]
    return chosen


def question_of(loaded: LoadedScreen, item: PaperItem) -> Question:
    return loaded.bank.get(item.question_id)


def task_of(loaded: LoadedScreen, item: PaperItem) -> Coding:
    task = loaded.bank.get(item.question_id)
    assert isinstance(task, Coding)
    return task


def exam_question_ids(loaded: LoadedScreen, candidate: str) -> tuple[str, ...]:
    """The bank ids of the candidate's concept questions, in paper order: what the
    practice UI's exam mode asks (coding tasks are solved in files)."""
    return tuple(item.question_id for item in build_paper(loaded, candidate).questions())


def time_limit_s(paper: Paper) -> int | None:
    """The paper's time limit in seconds: the screen's, else the sum of the sections'."""
    if paper.time_limit_minutes is not None:
        return paper.time_limit_minutes * 60
    parts = [s.time_limit_minutes for s in paper.sections]
    if parts and all(p is not None for p in parts):
        return sum(p or 0 for p in parts) * 60
    return None

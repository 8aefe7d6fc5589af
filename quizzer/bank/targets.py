"""What the bundled bank is growing towards (issue 16): the fewest questions each of
its topics should have, and two totals. `quizzer bank stats` reports them whenever the
bundled bank is loaded. They are goals, not rules: loading and `bank validate` never
check them, so a bank that is still growing stays usable.

They live here rather than in a file of the bank because every YAML file under a bank
folder is read as a file of questions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from quizzer.bank.models import Question

#: The fewest questions (of any type, coding tasks included) each topic should have.
TOPIC_FLOORS: Mapping[str, int] = MappingProxyType(
    {
        "custom-ops": 15,
        "data-loading": 15,
        "distributed": 15,
        "export": 15,
        "graph-capture": 15,
        "mixed-precision": 15,
        "profiling": 15,
        "quantization": 15,
        "reproducibility": 15,
        "tensors": 15,
        "torch-func": 15,
        "training-loop": 15,
        "transformers": 15,
    }
)
#: Concept questions: every type but `coding`.
MIN_CONCEPT = 300
MIN_CODE_OUTPUT = 80


@dataclass(frozen=True)
class Target:
    """One goal and how far the bank has got: `count` of `goal`."""

    name: str
    count: int
    goal: int

    @property
    def met(self) -> bool:
        return self.count >= self.goal


def topic_targets(questions: Iterable[Question]) -> list[Target]:
    """Each topic with a floor, in name order, with its count (0 when absent)."""
    counts = Counter(q.topic for q in questions)
    return [Target(topic, counts[topic], floor) for topic, floor in sorted(TOPIC_FLOORS.items())]


def total_targets(questions: Iterable[Question]) -> list[Target]:
    """The concept total and the code_output total."""
    kinds = Counter(q.type for q in questions)
    concept = sum(n for kind, n in kinds.items() if kind != "coding")
    return [
        Target("concept", concept, MIN_CONCEPT),
        Target("code_output", kinds["code_output"], MIN_CODE_OUTPUT),
    ]

"""A seed names the same judge inputs whichever judgements run beside it: the trusted
side's plans built in parallel threads equal those built one at a time."""

from __future__ import annotations

import threading

import torch

from quizzer.judge.checks_step import plan_train_step
from tests.judge_support import task


def _state(seed: int) -> list[torch.Tensor]:
    return list(plan_train_step(task("train-step"), seed).state.values())


def test_plans_built_in_parallel_threads_equal_those_built_one_at_a_time():
    seeds = list(range(12))
    alone = {seed: _state(seed) for seed in seeds}
    together: dict[int, list[torch.Tensor]] = {}

    def build(seed: int) -> None:
        for _ in range(5):
            together[seed] = _state(seed)

    threads = [threading.Thread(target=build, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in seeds:
        assert all(torch.equal(a, b) for a, b in zip(alone[seed], together[seed], strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(alone[0], alone[1], strict=True))

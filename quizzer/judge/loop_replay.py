"""The resume check's plan and replay: what a correct training loop (or one with a
classic mistake) does with the judge's model, objects and micro-batches.

Called by `quizzer.judge.runner` (`plan_resume`, before the run) and by
`quizzer.judge.checks_loop` (the verdict, which replays mistakes to name them). The
plan draws the model's state, the accumulation steps (every epoch ends with a
partial group), the micro-batches, the seeds and each epoch's max_norm: the first
clips most steps, the second none of a correct loop's, but every step of one that
clips before unscaling. `simulate` runs epoch 1, evaluate, epoch 2, and epoch 2 again
in junk objects after restoring the checkpoint, as the worker does with the
submission, and returns the facts after each (`LoopRun`).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from quizzer.bank.models import Coding
from quizzer.judge.plans import LoopPlan, LoopRun
from quizzer.judge.rng import seeded
from quizzer.judge.worker.training import loop_facts, loop_model, loop_objects

#: What a resumed run starts from besides a junk model: load_checkpoint must replace it.
JUNK = {"lr": 0.37, "momentum": 0.5, "step_size": 7, "gamma": 0.9, "growth_interval": 9}
#: The first epoch's max_norm as a share of the median gradient norm (clipping bites),
#: and the second's as a multiple of the largest (a correct loop never clips there).
CLIP_BITES, CLIP_IDLE = 0.5, 10.0


@dataclass(frozen=True)
class Mistakes:
    """What `simulate` does wrong, one flag per classic mistake."""

    no_div: bool = False
    partial_by_accum: bool = False
    clip_before_unscale: bool = False
    no_clip: bool = False
    sched_per_micro: bool = False
    no_autocast: bool = False
    eval_train_mode: bool = False
    eval_no_restore: bool = False
    no_model: bool = False
    no_optimizer: bool = False
    no_scheduler: bool = False
    no_scaler: bool = False
    no_rng: bool = False


def plan_resume(task: Coding, seed: int) -> LoopPlan:
    spec = task.spec.resume
    assert spec is not None
    features, classes = int(task.spec.input_shape[1]), int(task.spec.output_shape[1])
    gen = torch.Generator().manual_seed(seed * 5 + 7)

    def draw(low: int, high: int) -> int:
        return low + int(torch.randint(0, high - low + 1, (), generator=gen))

    accum = draw(*spec.accum_steps)
    model = (features, spec.hidden, classes, spec.dropout)
    # drawn from the plan's own generator: other threads may draw from the global one
    with seeded(0):  # only the layout is kept; see quizzer.judge.rng
        layout = loop_model(*model).state_dict()
    state = {k: v.detach().clone() for k, v in layout.items()}
    for key, value in state.items():
        if value.is_floating_point() and "running" not in key:
            fan_in = value.shape[-1] if value.dim() > 1 else 1
            spread = torch.randn(value.shape, generator=gen) / math.sqrt(fan_in)
            value.copy_(1.0 + 0.1 * spread if key.startswith("1.") else spread)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn((spec.batch_size, features), generator=gen)
        return x, torch.randint(classes, (spec.batch_size,), generator=gen)

    sizes = [spec.groups * accum + draw(1, accum - 1) for _ in range(2)]
    epochs = [tuple(batch() for _ in range(n)) for n in sizes]
    objects = spec.model_dump(include={"lr", "momentum", "step_size", "gamma"})
    objects.update(init_scale=spec.init_scale, growth_interval=spec.growth_interval)
    junk = {**JUNK, "init_scale": spec.init_scale * 2.0**-5}
    seeds = torch.randint(0, 2**31 - 1, (3,), generator=gen).tolist()
    plan = LoopPlan(
        model,
        state,
        objects,
        junk,
        seeds[0],
        seeds[1],
        seeds[2],
        accum,
        tuple((batches, math.inf) for batches in epochs),
        tuple(batch() for _ in range(spec.eval_batches)),
    )
    first: list[float] = []
    simulate(plan, norms=(first, []))
    plan = _with_norms(plan, (CLIP_BITES * sorted(first)[len(first) // 2], math.inf))
    second: list[float] = []
    simulate(plan, norms=([], second))
    plan = _with_norms(plan, (plan.epochs[0][1], CLIP_IDLE * max(second)))
    return dataclasses.replace(plan, expected=simulate(plan))


def _with_norms(plan: LoopPlan, norms: tuple[float, float]) -> LoopPlan:
    epochs = tuple((batches, n) for (batches, _), n in zip(plan.epochs, norms, strict=True))
    return dataclasses.replace(plan, epochs=epochs)


class _Dropout(torch.nn.Module):
    """nn.Dropout drawing from a generator of its own. The worker's model draws from
    torch's global generator, in a process of its own; here other judgements may draw
    from the global one in other threads at the same time, so the replay keeps its
    masks apart. Same masks and values as nn.Dropout from a generator in the same
    state (`tests/test_judge_loop_optim.py` proves it)."""

    def __init__(self, p: float, gen: torch.Generator) -> None:
        super().__init__()
        self.p, self.gen = p, gen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        mask = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.gen)
        return x * mask * (1.0 / (1 - self.p))


def replay_model(plan: LoopPlan, gen: torch.Generator) -> torch.nn.Sequential:
    """The judge's model with its dropout drawing from `gen`."""
    model = loop_model(*plan.model)
    model[3] = _Dropout(plan.model[3], gen)
    return model


def _autocast(on: bool) -> Any:
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=on)


def _train_epoch(objects: tuple, batches, accum: int, max_norm: float, m: Mistakes, norms) -> list:
    model, opt, sched, scaler = objects
    losses = []
    for i, (x, y) in enumerate(batches):
        start = i - i % accum
        size = min(accum, len(batches) - start)
        divide = 1 if m.no_div else accum if m.partial_by_accum else size
        with _autocast(not m.no_autocast):
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss / divide).backward()
        losses.append(loss.item())
        if m.sched_per_micro:
            sched.step()
        if i != start + size - 1:
            continue
        if m.clip_before_unscale:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        else:
            scaler.unscale_(opt)
            if not m.no_clip:
                norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)))
        scaler.step(opt)
        scaler.update()
        if not m.sched_per_micro:
            sched.step()
        opt.zero_grad()
    return losses


def _evaluate(model, batches, m: Mistakes) -> float:
    was = model.training
    if not m.eval_train_mode:
        model.eval()
    total = 0.0
    with torch.no_grad(), _autocast(True):
        for x, y in batches:
            total += F.cross_entropy(model(x), y).item()
    if not m.eval_no_restore:
        model.train(was)
    return total / len(batches)


def _run(returned: Any, objects: tuple) -> LoopRun:
    facts = loop_facts(*objects)
    return LoopRun(
        tuple(returned) if isinstance(returned, list) else returned,
        facts["state"],
        tuple(facts["momentum"]),
        tuple(facts["lrs"]),
        facts["last_epoch"],
        facts["scale"],
        facts["growth_tracker"],
    )


def simulate(
    plan: LoopPlan, mistakes: Mistakes = Mistakes(), norms: tuple[list, list] | None = None
) -> tuple[LoopRun, ...]:
    """The correct runs (or, with `mistakes`, a classic wrong one): after epoch 1,
    after evaluate, after epoch 2, and after epoch 2 resumed from the checkpoint.
    `norms` collects each epoch's gradient norms before clipping."""
    m, norms = mistakes, norms or ([], [])
    (first, norm1), (second, norm2) = plan.epochs
    out = []
    gen = torch.Generator().manual_seed(plan.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StepLR stepped before the optimiser, on purpose
        with seeded(0):  # its initial weights are replaced at once; see quizzer.judge.rng
            model = replay_model(plan, gen)
        model.load_state_dict(plan.state)
        model.train()
        objects = (model, *loop_objects(model, plan.objects))
        out.append(
            _run(_train_epoch(objects, first, plan.accum_steps, norm1, m, norms[0]), objects)
        )
        out.append(_run(_evaluate(model, plan.eval, m), objects))
        saved = {
            "model": copy.deepcopy(model.state_dict()),
            "optimizer": copy.deepcopy(objects[1].state_dict()),
            "scheduler": copy.deepcopy(objects[2].state_dict()),
            "scaler": copy.deepcopy(objects[3].state_dict()),
            "rng": gen.get_state(),
        }
        out.append(
            _run(_train_epoch(objects, second, plan.accum_steps, norm2, m, norms[1]), objects)
        )
        gen = torch.Generator().manual_seed(plan.junk_seed)
        with seeded(plan.junk_build_seed):  # only a missing model state shows this
            model = replay_model(plan, gen)
        model.train()
        objects = (model, *loop_objects(model, plan.junk_objects))
        skip = {
            "model": m.no_model,
            "optimizer": m.no_optimizer,
            "scheduler": m.no_scheduler,
            "scaler": m.no_scaler,
        }
        for index, key in enumerate(("model", "optimizer", "scheduler", "scaler")):
            if not skip[key]:
                objects[index].load_state_dict(copy.deepcopy(saved[key]))
        if not m.no_rng:
            gen.set_state(saved["rng"])
        out.append(_run(_train_epoch(objects, second, plan.accum_steps, norm2, m, []), objects))
    return tuple(out)

"""A forgery: a loop that trains nothing, and rewrites what the model host reports
after each call (the facts it reads from the judge's objects), hoping the judge
takes them on trust."""

import sys

import torch


def train_epoch(model, optimizer, scheduler, scaler, batches, accum_steps, max_norm):
    return [1.0] * len(batches)


def evaluate(model, batches):
    return 1.0


def save_checkpoint(path, model, optimizer, scheduler, scaler):
    torch.save({}, path)


def load_checkpoint(path, model, optimizer, scheduler, scaler):
    pass


def _fake_facts(model, opt, sched, scaler):
    params = list(model.parameters())
    return {
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "momentum": [torch.zeros_like(p) for p in params],
        "lrs": [0.1],
        "last_epoch": 3,
        "scale": 131072.0,
        "growth_tracker": 0,
    }


for _name in ("quizzer_worker_training", "quizzer_worker_loophost"):
    _module = sys.modules.get(_name)
    if _module is not None:
        _module.loop_facts = _fake_facts

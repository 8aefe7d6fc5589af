"""train-step: write train_step(model, optimizer, loss_fn, x, y, max_norm) -> float.

One optimisation step on (x, y) with the total gradient norm clipped to max_norm; it
returns the batch's loss as a Python float.

Judge your solution with:

    quizzer judge submissions/train_step.py --task train-step
"""

import torch


def train_step(model, optimizer, loss_fn, x, y, max_norm):
    # TODO: train mode, clear old gradients, forward, backward, clip, step
    raise NotImplementedError

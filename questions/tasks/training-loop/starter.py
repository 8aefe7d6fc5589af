"""training-loop: write train_epoch, evaluate, save_checkpoint and load_checkpoint.

A training loop with gradient accumulation (a short last group averaged over its own
size), AMP on the CPU (bfloat16 autocast and a GradScaler, unscaled before clipping),
a scheduler step per optimizer step, evaluation under no_grad in eval mode (and back
to training mode), and checkpoints that restore the model, optimizer, scheduler,
scaler and RNG state.

Judge your solution with:

    quizzer judge submissions/training_loop.py --task training-loop
"""

import torch
import torch.nn.functional as F


def train_epoch(model, optimizer, scheduler, scaler, batches, accum_steps, max_norm):
    # TODO: for each micro-batch (x, y): autocast forward and loss, scaled backward of
    # the loss divided by the size of its group; after each group: unscale, clip,
    # step, update, scheduler step, zero_grad. Return each micro-batch's loss.item().
    raise NotImplementedError


def evaluate(model, batches):
    # TODO: the mean cross-entropy over the batches, in eval mode, without gradients
    raise NotImplementedError


def save_checkpoint(path, model, optimizer, scheduler, scaler):
    # TODO: everything a resumed run needs, in one file
    raise NotImplementedError


def load_checkpoint(path, model, optimizer, scheduler, scaler):
    # TODO: restore everything save_checkpoint saved
    raise NotImplementedError

"""adamw-optimizer: write AdamW as a torch.optim.Optimizer subclass.

Parameter groups with their own lr, betas, eps and weight_decay; decoupled weight
decay; bias correction with each parameter's own step count; parameters whose .grad
is None are skipped; step(closure) returns the closure's loss; the state lives in
self.state, so that state_dict() and load_state_dict() carry it to a fresh instance.
torch.optim.AdamW and torch.optim.Adam are not allowed.

Judge your solution with:

    quizzer judge submissions/adamw_optimizer.py --task adamw-optimizer
"""

import torch
from torch.optim import Optimizer


class AdamW(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        # TODO: call the closure first; then, per group and per parameter with a
        # gradient: decay, update the moments, correct their bias, update
        raise NotImplementedError

"""AdamW written out with bias-corrected moments, out of place."""

import math

import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    st = self.state[p]
                    st["step"] = st.get("step", 0) + 1
                    m = st.get("m", torch.zeros_like(p)) * b1 + (1 - b1) * p.grad
                    v = st.get("v", torch.zeros_like(p)) * b2 + (1 - b2) * p.grad**2
                    st["m"], st["v"] = m, v
                    m_hat = m / (1 - b1 ** st["step"])
                    v_hat = v / (1 - b2 ** st["step"])
                    decayed = p * (1 - group["lr"] * group["weight_decay"])
                    p.copy_(decayed - group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))
        return loss


_ = math.pi

"""Verdict of the promises check: what a task's statement demands beyond shapes.

Called by `quizzer.judge.verdicts`. The worker randomised the model's state (as the
reference check does) and sent eval-mode outputs on two halves x1, x2 of the judge's
batch, on the mix m = MIX x1 + (1 - MIX) x2, on the whole batch and on it ten times
wider. `nonlinear`: an affine map gives f(m) = MIX f(x1) + (1 - MIX) f(x2) up to
rounding (two Linear layers with no activation between them), while any real hidden
nonlinearity misses that by far on random inputs. `logits`: rows that are
probability distributions mean a softmax in forward, and outputs that are never
negative mean a ReLU (or similar) on the output layer.
"""

from __future__ import annotations

from typing import Any

import torch

from quizzer.judge import explain
from quizzer.judge.facts import CheckFailed, Context, output
from quizzer.judge.result import Metric
from quizzer.judge.worker.checks import MIX

#: An affine map matches the mix to within this much of how far the output moves
#: between the two halves (a ReLU net misses by a tenth or more) ...
AFFINE_RTOL = 1e-4
#: ... plus float32's rounding of outputs this large (64 machine epsilons).
ROUNDING = 64 * torch.finfo(torch.float32).eps


def promises(
    ctx: Context, data: dict[str, Any], error: dict[str, Any] | None
) -> tuple[str, dict[str, Metric]]:
    spec = ctx.task.spec
    if error is not None:
        raise CheckFailed(explain.exception(error, "forward on the judge's batch (eval mode)"))
    x = ctx.probes.x
    n = x.shape[0] // 2
    shape = tuple(int(d) for d in ctx.task.spec.output_shape[1:])
    f1 = output(data.get("x1"), (n, *shape), "output on the first half").double()
    f2 = output(data.get("x2"), (n, *shape), "output on the second half").double()
    fm = output(data.get("mix"), (n, *shape), "output on the mixed batch").double()
    out = output(data.get("out"), (x.shape[0], *shape), "output").double()
    wide = output(data.get("wide"), (x.shape[0], *shape), "output on a wider batch").double()
    metrics: dict[str, Metric] = {}
    said = []
    if "nonlinear" in spec.promises:
        gap = float((fm - (MIX * f1 + (1 - MIX) * f2)).abs().max())
        size = float(torch.stack([f1.abs().max(), f2.abs().max(), fm.abs().max()]).max())
        # measured against how much the output moves with the input, plus the rounding
        # of outputs this large: a tiny input-dependent part is still judged fairly
        moves = float((f1 - f2).abs().max())
        metrics["affine_gap"] = gap / moves if moves else 0.0
        spread = float((out - out[:1]).abs().max())
        if spread <= ROUNDING * size:
            raise CheckFailed(
                f"the output is the same for all {out.shape[0]} random inputs: forward "
                "ignores its input (a constant, or a value that does not come from x?)",
                **metrics,
            )
        if gap <= AFFINE_RTOL * moves + ROUNDING * size:
            raise CheckFailed(
                f"the model is an affine map of its input: f({MIX} x1 + {1 - MIX:.1f} x2) "
                f"equals {MIX} f(x1) + {1 - MIX:.1f} f(x2) to within {gap:.2g} (outputs up "
                f"to {size:.3g}). Stacked Linear (or Conv) layers with no nonlinearity "
                "between them collapse into one affine layer: put an activation such as "
                "torch.relu between the hidden layers",
                **metrics,
            )
        said.append("not an affine map of its input")
    if "logits" in spec.promises:
        rows = out.flatten(1)
        if bool((rows >= 0).all() and (rows.sum(1) - 1).abs().max() < 1e-3):
            raise CheckFailed(
                "every output row is a probability distribution (non-negative, sums to 1): "
                "forward applies softmax. Return raw logits: nn.CrossEntropyLoss applies "
                "log-softmax itself, and a softmax before it flattens the gradients",
                **metrics,
            )
        if bool((rows >= 0).all() and (wide >= 0).all()):
            raise CheckFailed(
                f"none of the {2 * rows.numel()} outputs on {2 * rows.shape[0]} random inputs "
                "(with the model's state randomised) is negative: is a ReLU (or another "
                "non-negative function) applied to the "
                "output layer? Logits must be free to go negative; return the last "
                "layer's output as it is",
                **metrics,
            )
        said.append("raw logits")
    return "the output is " + " and ".join(said), metrics

"""The gradient check's sandboxed half (`GradientChecks`, mixed into `checks.Job`):
autograd's gradients from the model host, and central differences the harness
computes from outputs the model host returned at points the harness chose, with the
step and tolerance rules (`fd_steps`, `fd_tolerance`) that the trusted verdict in
`quizzer.judge.checks_grad` applies again. Standalone: stdlib, torch and `remote.py`.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

import torch

try:
    from . import remote as _remote
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    _remote = sys.modules["quizzer_worker_remote"]

ChannelBroken, HostError = _remote.ChannelBroken, _remote.HostError
_plain, _tensor = _remote._plain, _remote._tensor
_Tensor = torch.Tensor

#: Finite differences: the step for dtypes other than float64 (float64's is the
#: task's), how much each retry at a kink shrinks the step, and how many retries.
STEP32, SHRINK64, SHRINK32, RETRIES = 1e-3, 16.0, 4.0, 2
#: The rounding a model's arithmetic may add, in units of its dtype's machine epsilon
#: per unit of sum(|u * f(x)|) (for the outputs) and of sum(|g * v|) (for autograd).
NOISE = 64.0
#: The relative tolerance below float64 (see `fd_rtol`).
RTOL_LOW = 0.1


def fd_rtol(dtype: torch.dtype, rtol64: float) -> float:
    """The relative tolerance: the task's in float64. In a lower precision the step
    must be large enough to rise above the rounding, and then crosses kinks (ReLU,
    max-pool) in a convolutional net by the hundred: such differences are good to a
    few per cent, so 10% is allowed there, which still fails a backward that is wrong
    by a factor or has a part of the graph cut."""
    return rtol64 if dtype == torch.float64 else RTOL_LOW


def fd_tolerance(dtype, rtol, atol, step, s_abs, a_abs, x: float, y: float) -> float:
    """How far two estimates `x`, `y` of one directional derivative may differ: the
    relative and absolute tolerance, plus the rounding of the dtype (outputs of size
    `s_abs` differenced over `step`; a gradient product of size `a_abs`)."""
    eps = torch.finfo(dtype).eps if dtype.is_floating_point else 0.0
    return atol + rtol * max(abs(x), abs(y)) + NOISE * eps * (2 * s_abs / step + a_abs)


def fd_steps(dtype: torch.dtype, step: float) -> list[float]:
    """The step of each attempt along one direction: a kink within the step (the one-
    sided differences disagree) gets a smaller step, away from it, not a pass."""
    shrink = SHRINK64 if dtype == torch.float64 else SHRINK32
    return [step / shrink**i for i in range(RETRIES + 1)]


_DTYPE_WORDS = re.compile(
    r"dtype|scalar type|Double|Float|Half|float64|float32|should be the same|same type"
)


def dtype_error(info: dict) -> bool:
    """Whether a model's error in float64 says a dtype did not match (a model that
    builds float32 tensors itself), the only error that earns a rerun in its own dtype:
    any other error is the model's and the verdict."""
    return info.get("type") in ("RuntimeError", "TypeError") and bool(
        _DTYPE_WORDS.search(str(info.get("message", "")))
    )


def _name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _s(out: Any, u: torch.Tensor) -> float:
    """s = sum(u * out), in float64, of an output the model host returned."""
    return float((_tensor(out).double() * u).sum())


def _facts(out: Any, groups: list, grads: list, inputs: int) -> dict:
    """A run's output, its groups' names and shapes, and their gradients (the first
    `inputs` groups are inputs)."""
    return {
        "out": out,
        "groups": [[n, list(t.shape)] for n, t in groups],
        "input_grads": grads[:inputs],
        "grads": [(n, g) for (n, _), g in zip(groups[inputs:], grads[inputs:], strict=True)],
    }


def _put_run(run: dict, fr: _remote._Frames) -> dict:
    """A gradient run's facts with its tensors put in the frame."""
    data = {}
    for key, value in run.items():
        if key in ("out", "again"):
            value = None if value is None else fr.put(value)
        elif key == "input_grads":
            value = [None if g is None else fr.put(g) for g in value]
        elif key == "grads":
            value = [[n, None if g is None else fr.put(g)] for n, g in value]
        data[key] = value
    return data


class GradientChecks:
    """The gradients check, for `checks.Job` (which supplies `remote`, `req`,
    `device`, `bools`, `args`, `build` and `placed`)."""

    remote: _remote.Remote
    req: dict
    device: torch.device
    bools: list[int]

    if TYPE_CHECKING:  # Job's own

        def args(self, xs: list, b: Any = None, dtype: Any = None) -> list: ...
        def build(self, place: dict | None = None, init: dict | None = None) -> int: ...
        def placed(self, dtype: str | None = None, train: bool = False) -> int: ...

    def check_gradients(self, p: dict, fr: _remote._Frames, data: dict) -> None:
        """Finite differences in eval mode and in training mode, in float64 (the
        task's dtype for a model that fails in float64); training mode with every
        forward starting from one random seed, so that dropout keeps its mask. Then,
        when the task's dtype is not float64, autograd's gradients in that dtype (eval
        mode, no finite differences: the judge holds them against the float64 ones)."""
        built = self.remote("build", seed=self.req["seed"])
        h, params = built["h"], built["params"]
        data["frozen"] = _plain([q[0] for q in params if isinstance(q, list) and q[2] is False])
        task = getattr(torch, p.get("dtype", "float32"))
        dtype = torch.float64
        try:
            self.remote("to", h=h, device=str(self.device), dtype="float64")
            run = self._grad_run(h, p, dtype)
        except HostError as exc:
            if not dtype_error(exc.info):  # the model raised: that is the verdict
                raise
            data["float64_error"] = exc.info  # a model that only works in its own dtype
            dtype, h = task, self.placed()
            run = self._grad_run(h, p, dtype)
        data.update(_put_run(run, fr))
        try:
            h = self.placed(_name(dtype), train=True)
            data["train"] = _put_run(self._grad_run(h, p, dtype, seed=p["dir_seed"]), fr)
        except HostError as exc:
            data["train_error"] = exc.info
        if dtype == task:
            return
        try:
            h = self.placed(_name(task))
            out, _, idx, groups, grads = self._gradients(h, p, task, None)
            data["task_dtype"] = _put_run(_facts(out, groups, grads, len(idx)), fr)
        except HostError as exc:
            data["task_dtype_error"] = exc.info

    def _gradients(self, h: int, p: dict, dtype, seed: int | None) -> tuple:
        """One forward with grad and autograd's gradient of s = sum(u * f(x)), in one
        round trip: (output, the inputs sent, the indices of the floating ones, the
        groups (those inputs, then the parameters, each as (name, value)), their
        gradients, None where there is none)."""
        xs = self.args(p["xs"], dtype=dtype)
        idx = [i for i in range(len(xs)) if i not in self.bools]
        inputs = [(p["names"][i], xs[i]) for i in idx]
        at = {"h": h, "xs": xs, "bools": self.bools, "seed": seed}
        _, done, got = self.remote.many(
            [
                ("mode", {"h": h, "train": seed is not None}),
                ("forward", {**at, "grad": True, "grad_inputs": idx, "g": p["u"].to(dtype)}),
                ("params", {"h": h}),
            ]
        )
        out = done["out"]
        params = [(str(n), _tensor(t, "a parameter")) for n, t in got["params"]]
        grads: list = [None] * (len(inputs) + len(params))
        if type(out) is _Tensor and done["requires_grad"] is True:
            back = done.get("back")
            if not isinstance(back, dict):
                raise ChannelBroken("a forward with grad whose gradients did not come")
            grads = [*back["inputs"], *[g for _, g in back["params"]]]
            if len(grads) != len(inputs) + len(params):
                raise ChannelBroken("the gradients do not match the parameters")
            grads = [None if g is None else _tensor(g, "a gradient") for g in grads]
        return out, xs, idx, [*inputs, *params], grads

    def _grad_run(self, h: int, p: dict, dtype, seed: int | None = None) -> dict:
        """Autograd's gradient of s = sum(u * f(x)) from the model host, and central
        differences of s computed here from outputs the model host returned at points
        chosen here, retried with smaller steps at kinks (`fd_steps`). With `seed`, in
        training mode, every forward starting from it."""
        out, xs, idx, groups, grads = self._gradients(h, p, dtype, seed)
        if type(out) is not _Tensor:
            return {"out": out, "grads": [], "input_grads": []}
        u = p["u"].double()
        terms = _tensor(out).double() * u
        s0, s_abs = float(terms.sum()), float(terms.abs().sum())
        step = p["eps"] if out.dtype == torch.float64 else p["eps32"]
        gen = torch.Generator().manual_seed(p["dir_seed"])
        todo = []  # (group, base, direction, |g . v|) per direction, in the judge's order
        for k, (_, leaf) in enumerate(groups):
            for _ in range(p["directions"]):
                v = torch.randn(leaf.shape, generator=gen, dtype=torch.float64)
                g = grads[k]
                a_abs = 0.0 if g is None else float((g.double() * v).abs().sum())
                todo.append((k, leaf.detach(), v, a_abs))
        rtol = fd_rtol(out.dtype, p["rtol"])

        def rough(j: int) -> bool:
            att = attempts[j][-1]
            fwd, bwd = (att[1] - s0) / att[0], (s0 - att[2]) / att[0]
            tol = fd_tolerance(out.dtype, rtol, p["atol"], att[0], s_abs, todo[j][3], fwd, bwd)
            return abs(fwd - bwd) > tol

        attempts: list[list] = [[] for _ in todo]
        pending = list(range(len(todo)))
        again = None
        for size in fd_steps(out.dtype, step):
            points: list = [] if again is not None else [[-1, None]]
            for j in pending:
                k, base, v, _ = todo[j]
                moved = (size * v).to(base.dtype)
                points += [[k, base + moved], [k, base - moved]]
            values = self._points(h, xs, idx, seed, points, p["dir_seed"] + len(attempts[0]))
            if again is None:
                again, values = values[0], values[1:]
            for n, j in enumerate(pending):
                plus, minus = (_s(t, u) for t in values[2 * n : 2 * n + 2])
                attempts[j].append([size, plus, minus])
            pending = [j for j in pending if rough(j)]
            if not pending:
                break
        return {
            **_facts(out, groups, grads, len(idx)),
            "again": again,
            "eps": step,
            "attempts": attempts,
            "probe": float(todo[0][2].flatten()[0]) if todo and todo[0][2].numel() else None,
        }

    def _points(self, h: int, xs: list, idx: list, seed, points: list, order_seed: int) -> list:
        """The model's outputs at `points` (see the model host's `points`), sent in an
        order drawn from `order_seed` and given back in the order asked."""
        order = torch.randperm(len(points), generator=torch.Generator().manual_seed(order_seed))
        sent = [points[i] for i in order.tolist()]
        outs = self.remote(
            "points", h=h, xs=xs, bools=self.bools, grad_inputs=idx, seed=seed, points=sent
        )["outs"]
        if not isinstance(outs, list) or len(outs) != len(points):
            raise ChannelBroken("the outputs do not match the points")
        back: list = [None] * len(points)
        for i, value in zip(order.tolist(), outs, strict=True):
            back[i] = value
        return back

"""The checks' sandboxed halves: `Job` runs each check of a request by driving the
model host through a `Remote`, and computes the check's facts from the values it gets
back (the trusted judge then decides on them). Also `perturb_tensors`, the one rule for
randomising a state, which the trusted side uses too. Standalone: stdlib, torch and
the sibling files.
"""

from __future__ import annotations

import sys
from typing import Any

import torch
import torch.nn.functional as F

try:
    from . import modelhost, remote
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    modelhost = sys.modules["quizzer_worker_modelhost"]
    remote = sys.modules["quizzer_worker_remote"]

ChannelBroken, HostError = remote.ChannelBroken, remote.HostError
_Frames, _plain, _tensor = remote._Frames, remote._plain, remote._tensor
make_optimizer = modelhost.make_optimizer
_Tensor, _no_grad = torch.Tensor, torch.no_grad


def perturb_tensors(state: dict, seed: int) -> dict:
    """Gives every floating tensor of `state` (in place, in order) a random value unlike
    any default initialisation (running variances stay positive)."""
    gen = torch.Generator().manual_seed(seed)
    with _no_grad():
        for name, t in state.items():
            if not t.is_floating_point():
                continue
            noise = torch.randn(t.shape, generator=gen, dtype=torch.float64)
            if name.rsplit(".", 1)[-1] == "running_var":
                new = 0.5 + torch.rand(t.shape, generator=gen, dtype=torch.float64)
            else:
                spread = float(t.double().std()) if t.numel() > 1 else 0.0
                new = t.double() + 0.5 * max(spread, 0.5) * noise
            t.copy_(new.to(t.dtype))
    return state


def perturb_state(model, seed: int) -> None:
    """`perturb_tensors` on a model's own parameters and buffers. The judge does the same
    to the built-ins it compares with, so the rule lives here, once."""
    perturb_tensors(model.state_dict(keep_vars=True), seed)


def _put_run(run: dict, fr: remote._Frames) -> dict:
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


class Job:
    """One request: the checks to run, each driving the model host through `remote`."""

    def __init__(self, request: dict, host: remote.Remote, fresh: remote.Remote) -> None:
        self.req, self.remote, self.fresh = request, host, fresh
        self.device = torch.device(request["device"])
        self.entry = request.get("entry", "module")
        self.bools = sorted(int(i) for i in request.get("bool_args", []))
        self.loaded = False

    def build(self) -> int:
        """A fresh instance with the judge's seed: every check starts from the same model."""
        h = self.remote("build", seed=self.req["seed"])["h"]
        if type(h) is not int:
            raise ChannelBroken("a model handle that is not an int")
        return h

    def placed(self, dtype: str | None = None, train: bool = False) -> int:
        h = self.build()
        self.remote.many(
            [
                ("to", {"h": h, "device": str(self.device), "dtype": dtype}),
                ("mode", {"h": h, "train": train}),
            ]
        )
        return h

    def args(self, xs: list, b=None, dtype=None) -> list:
        """The inputs, cut to `b` rows, floats in `dtype` (masks stay uint8: the model
        host turns them into bool)."""
        out = []
        for i, t in enumerate(xs):
            t = t if b is None else t[:b]
            out.append(t if (dtype is None or i in self.bools) else t.to(dtype))
        return out

    def forward(self, h: int, xs: list, **kw: Any) -> dict:
        return self.remote("forward", h=h, xs=xs, bools=self.bools, **kw)

    def out(self, h: int, xs: list) -> Any:
        return self.forward(h, xs)["out"]

    def check_load(self, p: dict, fr: remote._Frames, data: dict) -> None:
        req = self.req
        found = self.remote(
            "load",
            source=req["source"],
            class_name=req["class_name"],
            entry=self.entry,
            init=req.get("init", {}),
            forbidden=req.get("forbidden", []),
        )
        keys = (
            *("classes", "module_classes", "functions", "found", "is_class", "is_module"),
            *("is_function", "is_autograd_function", "signature"),
        )
        data.update({k: _plain(found[k]) for k in keys if k in found})
        if data.get("is_" + self.entry) is not True:
            return
        self.loaded = True
        if "train_step" in [c["name"] for c in req.get("checks", [])]:
            return  # called with the judge's model and optimizer, not as a model itself
        built = self.remote("build", seed=req["seed"])
        for key in ("built_type", "params", "layers"):
            data[key] = _plain(built.get(key))

    def check_forbidden_api(self, p: dict, fr: remote._Frames, data: dict) -> None:
        h = self.placed()
        found = self.remote("forbidden", h=h, xs=self.args(p["xs"]), bools=self.bools)
        data["found"] = _plain(found.get("found", []))
        if "error" in found:
            data["error"] = _plain(found["error"])

    def check_shapes(self, p: dict, fr: remote._Frames, data: dict) -> None:
        h = self.placed()
        data.update(eval={}, train={})
        for b in p["batch_sizes"]:
            data["eval"][str(b)] = fr.put(self.out(h, self.args(p["xs"], b)))
        data["repeat"] = fr.put(self.out(h, self.args(p["xs"])))
        self.remote("mode", h=h, train=True)
        for b in p["batch_sizes"]:
            if b > 1:
                data["train"][str(b)] = fr.put(self.out(h, self.args(p["xs"], b)))

    def check_device(self, p: dict, fr: remote._Frames, data: dict) -> None:
        h = self.build()
        data["stray"] = _plain(self.remote("to", h=h, device=str(self.device))["stray"])
        self.remote("mode", h=h, train=False)
        done = self.forward(h, self.args(p["xs"]))
        data["out"] = fr.put(done["out"])
        data["out_device"] = done["device"] if isinstance(done.get("device"), str) else None
        if self.device.type == "cpu":
            meta = self.remote(
                "meta", seed=self.req["seed"], xs=self.args(p["xs"]), bools=self.bools
            )
            data["meta"] = _plain(
                {k: meta[k] for k in ("violations", "out_device", "error") if k in meta}
            )

    def check_gradients(self, p: dict, fr: remote._Frames, data: dict) -> None:
        built = self.remote("build", seed=self.req["seed"])
        h, params = built["h"], built["params"]
        data["frozen"] = _plain([q[0] for q in params if isinstance(q, list) and q[2] is False])
        dtype = torch.float64
        try:
            self.remote("to", h=h, device=str(self.device), dtype="float64")
            run = self._grad_run(h, p, dtype)
        except HostError as exc:  # models that only work in float32
            data["float64_error"] = exc.info
            dtype, h = torch.float32, self.build()
            self.remote("to", h=h, device=str(self.device))
            run = self._grad_run(h, p, dtype)
        data.update(_put_run(run, fr))
        # Again in training mode, every forward with the same random seed, so that
        # dropout draws the same mask at every point: a backward that is wrong only in
        # training mode (batch statistics detached, say) shows here.
        try:
            h = self.build()
            self.remote("to", h=h, device=str(self.device), dtype=str(dtype).removeprefix("torch."))
            data["train"] = _put_run(self._grad_run(h, p, dtype, seed=p["dir_seed"]), fr)
        except HostError as exc:
            data["train_error"] = exc.info

    def _grad_run(self, h: int, p: dict, dtype, seed: int | None = None) -> dict:
        """Autograd's gradient of s = sum(u * f(x)) from the model host, and central
        differences of s computed here from outputs the model host returned at points
        chosen here. With `seed`, in training mode, and every forward starts from it."""
        self.remote("mode", h=h, train=seed is not None)
        xs = self.args(p["xs"], dtype=dtype)
        idx = [i for i in range(len(xs)) if i not in self.bools]
        inputs = [(p["names"][i], xs[i]) for i in idx]
        done = self.forward(h, xs, grad=True, grad_inputs=idx, seed=seed)
        out = done["out"]
        if type(out) is not _Tensor:
            return {"out": out, "grads": [], "input_grads": []}
        u = p["u"].to(dtype)
        params = [
            (str(n), _tensor(t, "a parameter")) for n, t in self.remote("params", h=h)["params"]
        ]
        groups = [*inputs, *params]
        grads: list = [None] * len(groups)
        if done["requires_grad"] is True:
            back = self.remote("backward", h=h, g=u.to(out.dtype))
            grads = [*back["inputs"], *[g for _, g in back["params"]]]
            if len(grads) != len(groups):
                raise ChannelBroken("the gradients do not match the parameters")
            grads = [None if g is None else _tensor(g, "a gradient") for g in grads]
        low = out.dtype != torch.float64
        eps = p["eps32"] if low else p["eps"]
        gen = torch.Generator().manual_seed(p["dir_seed"])
        probe, calls, restore = None, [], None
        again = self.forward(h, xs, seed=seed)["out"]
        for k, (name, leaf) in enumerate(groups):
            base = leaf.detach().clone()
            for _ in range(p["directions"]):
                v = torch.randn(leaf.shape, generator=gen, dtype=torch.float64)
                probe = float(v.flatten()[0]) if probe is None and v.numel() else probe
                v = v.to(leaf.dtype)
                for sign in (1.0, -1.0):
                    moved = base + sign * eps * v
                    args: dict = {"h": h, "xs": xs, "bools": self.bools, "params": [], "seed": seed}
                    if k < len(inputs):
                        args["xs"] = list(xs)
                        args["xs"][idx[k]] = moved
                    else:
                        args["params"] = [[name, moved]]
                    if restore is not None:  # the previous parameter back to its value
                        args["params"].insert(0, restore)
                        restore = None
                    calls.append(("forward", args))
            if k >= len(inputs):
                restore = [name, base]
        if restore is not None:
            calls.append(("set_params", {"h": h, "params": [restore]}))
        # every probe point in one round trip: the harness computes each side itself
        values = [
            float((_tensor(a["out"]) * u).sum()) for a in self.remote.many(calls) if "out" in a
        ]
        sides = [values[i : i + 2] for i in range(0, len(values), 2)]
        return {
            "out": out,
            "again": again,
            "eps": eps,
            "groups": [[n, list(t.shape)] for n, t in groups],
            "sides": sides,
            "probe": probe,
            "input_grads": grads[: len(inputs)],
            "grads": [(n, g) for (n, _), g in zip(params, grads[len(inputs) :], strict=True)],
        }

    def check_train_eval(self, p: dict, fr: remote._Frames, data: dict) -> None:
        h = self.build()
        data["not_eval"] = _plain(self.remote("mode", h=h, train=False)["wrong"])
        data["not_train"] = _plain(self.remote("mode", h=h, train=True)["wrong"])

    def check_reference(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """Per trial: the state_dict keys, then the output of each run (mode, dtype)
        with the judge's state loaded. A trial with "perturb" (the reference solution's
        own run) makes the state itself and sends it."""
        module = self.entry == "module"
        data["trials"] = []
        for trial in p["trials"]:
            rec: dict = {"runs": []}
            data["trials"].append(rec)
            state = trial.get("state")
            if module:
                got = self.remote("state", h=self.build())
                rec["keys"] = _plain(got["keys"])
                if trial.get("perturb") is not None:
                    own = {str(k): _tensor(v, "a state tensor") for k, v in got["state"].items()}
                    state = perturb_tensors(own, trial["perturb"])
                    rec["state"] = {k: fr.put(v) for k, v in state.items()}
            for run in p["runs"]:
                h = self.build()
                if module:
                    self.remote("load_state", h=h, state=state)
                self.remote("to", h=h, device=str(self.device), dtype=run["dtype"])
                self.remote("mode", h=h, train=run["mode"] == "train")
                xs = self.args(trial["xs"], dtype=getattr(torch, run["dtype"]))
                done = {"out": fr.put(self.out(h, xs))}
                if p["buffers"] and module:
                    buffers = self.remote("buffers", h=h)["buffers"]
                    done["buffers"] = {str(k): fr.put(v) for k, v in buffers.items()}
                rec["runs"].append(done)

    def check_dropout(self, p: dict, fr: remote._Frames, data: dict) -> None:
        h = self.placed(train=True)
        x = p["x"]
        done = self.forward(h, [x], grad=True, grad_inputs=[0])
        out = done["out"]
        data["out"] = fr.put(out)
        if type(out) is _Tensor and out.shape == x.shape and done["requires_grad"] is True:
            g = self.remote("backward", h=h, g=p["g"])["inputs"][0]
            data["grad"] = None if g is None else fr.put(g)
        again = self.forward(h, [x], return_inputs=True)
        data["again"] = fr.put(again["out"])
        data["input_after"] = fr.put(again["inputs"][0])

    def check_train_step(self, p: dict, fr: remote._Frames, data: dict) -> None:
        keys = ("layers", "state", "stale", "xs", "ys", "optimizer", "loss", "max_norm")
        done = self.remote("train_step", device=str(self.device), **{k: p[k] for k in keys})
        data["steps"] = []
        for step in done["steps"]:
            got = step["returned"]
            data["steps"].append(
                {
                    "returned": got if type(got) is float else fr.put(got),
                    "state": {str(k): fr.put(v) for k, v in step["state"].items()},
                }
            )

    def check_learning(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """The optimiser runs here, on the gradients the model host returns, with a loss
        computed here from labels the model host never sees; the model host only gets
        the new parameter values."""
        h = self.placed()
        x, y = p["x"], p["y"]
        params = [
            (str(n), _tensor(t, "a parameter").clone())
            for n, t in self.remote("params", h=h)["params"]
        ]
        opt = make_optimizer([t for _, t in params], p["optimizer"])
        loss_fn = F.cross_entropy if p["loss"] == "cross_entropy" else F.mse_loss
        data["losses"] = []
        data["before"] = fr.put(self.out(h, [x]))
        self.remote("mode", h=h, train=True)
        moved: list = []  # the parameters after the last step, sent with the next forward
        for step in range(p["steps"]):
            data["step"] = step
            opt.zero_grad()
            done = self.forward(h, [x], grad=True, params=moved)
            out = _tensor(done["out"]).detach().requires_grad_(True)
            loss = loss_fn(out, y)
            if done["requires_grad"] is not True:
                raise RuntimeError(
                    "element 0 of tensors does not require grad and does not have a grad_fn"
                )
            loss.backward()
            back = self.remote("backward", h=h, g=out.grad)["params"]
            if [str(n) for n, _ in back] != [n for n, _ in params]:
                raise ChannelBroken("the gradients do not match the parameters")
            for (_, t), (_, g) in zip(params, back, strict=True):
                t.grad = (
                    None if g is None else _tensor(g, "a gradient").reshape(t.shape).to(t.dtype)
                )
            opt.step()
            moved = [[n, t.detach()] for n, t in params]
            data["losses"].append(float(loss.detach()))
        self.remote("mode", h=h, train=False)
        buffers = self.remote("buffers", h=h)["buffers"]
        data["after"] = fr.put(self._after(x, moved, buffers))

    def _after(self, x: torch.Tensor, params: list, buffers: dict) -> Any:
        """The trained model's output, from a second model host that was forked before
        the request was read and never saw a gradient: what the first one learned from
        the output gradients (which reveal the labels) reaches this one only through
        the parameter and buffer values."""
        fresh, req = self.fresh, self.req
        fresh("load", source=req["source"], class_name=req["class_name"], entry=self.entry,
              init=req.get("init", {}), forbidden=[])  # fmt: skip
        h = fresh("build", seed=req["seed"])["h"]
        state = [[str(k), _tensor(v, "a buffer")] for k, v in buffers.items()]
        fresh.many(
            [
                ("load_buffers", {"h": h, "buffers": state}),
                ("to", {"h": h, "device": str(self.device)}),
                ("mode", {"h": h, "train": False}),
            ]
        )
        done = fresh("forward", h=h, xs=[x], bools=self.bools, params=params)
        return done["out"]

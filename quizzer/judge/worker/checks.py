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
    from . import gradients, modelhost, remote
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    modelhost = sys.modules["quizzer_worker_modelhost"]
    remote = sys.modules["quizzer_worker_remote"]
    gradients = sys.modules["quizzer_worker_gradients"]

try:
    from . import loopchecks
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    loopchecks = sys.modules["quizzer_worker_loopchecks"]

try:
    from . import decodechecks
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    decodechecks = sys.modules["quizzer_worker_decodechecks"]

ChannelBroken, HostError = remote.ChannelBroken, remote.HostError
_Frames, _plain, _tensor = remote._Frames, remote._plain, remote._tensor
FlatOptimizer = modelhost.FlatOptimizer
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


def _perturbed(got: dict, seed: int) -> dict:
    """The state a `state` answer carries, randomised by `perturb_tensors`."""
    own = {str(k): _tensor(v, "a state tensor") for k, v in got["state"].items()}
    return perturb_tensors(own, seed)


def _collated(value: Any, fr: remote._Frames) -> Any:
    """One element of a collate function's tuple, as the model host described it,
    forwarded as plain data: a tensor, {"bool": tensor} or {"$what": text}."""
    if isinstance(value, dict) and set(value) == {"bool"}:
        return {"bool": fr.put(value["bool"])}
    if isinstance(value, dict) and set(value) == {"$what"}:
        return {"$what": str(value["$what"])[:200]}
    return fr.put(value)


#: The promises check's mixing weight: f(MIX x1 + (1 - MIX) x2) against the same mix of
#: f(x1) and f(x2) tells an affine map.
MIX = 0.3


def gate_failed(check: dict, header: dict, tensors: list) -> bool:
    """Whether a gate check (see `quizzer.judge.probes.GATES`) fails for sure: the
    model raised, or (shapes) an output is not a finite floating tensor of the shape
    the judge expects, or it differs where the judge's verdict needs it equal by ten
    times the judge's tolerance. The run then ends, as the judge would judge nothing
    after it. Anything less certain is left to the judge."""
    if "error" in header or "broken" in header:
        return True
    if check["name"] != "shapes" or "expect" not in check:
        return False
    data = header["data"]
    if data.get("inputs_changed"):
        return True

    def got(ref: Any, b: str) -> torch.Tensor | None:
        t = tensors[ref["$t"]] if isinstance(ref, dict) and "$t" in ref else None
        if not (
            isinstance(t, _Tensor)
            and list(t.shape) == check["expect"].get(b)
            and t.is_floating_point()
            and bool(torch.isfinite(t).all())
        ):
            return None
        return t.double()

    evals = {b: got(data.get("eval", {}).get(b), b) for b in check["expect"]}
    trains = [got(ref, b) for b, ref in data.get("train", {}).items()]
    biggest = str(max(int(b) for b in check["expect"]))
    repeat, whole = got(data.get("repeat"), biggest), evals[biggest]
    if repeat is None or whole is None or any(t is None for t in [*evals.values(), *trains]):
        return True

    def far(a: torch.Tensor | None, b: torch.Tensor) -> bool:
        return a is None or not torch.allclose(a, b, rtol=1e-3, atol=1e-4)

    if far(repeat, whole):
        return True
    return bool(check.get("per_sample")) and any(far(t, whole[: int(b)]) for b, t in evals.items())


def _loss_and_grad(kind: str, out: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
    """The learning loss and its gradient with respect to the output, in closed form
    (a fifth of autograd's cost on these sizes): cross-entropy's is (softmax - onehot)
    / N, mean squared error's 2 (out - y) / numel."""
    with _no_grad():
        if kind == "cross_entropy":
            loss = F.cross_entropy(out, y)
            g = out.softmax(1)
            g[torch.arange(len(y)), y] -= 1
            g /= len(y)
        else:
            diff = out - y
            loss = diff.pow(2).mean()
            g = diff * (2.0 / diff.numel())
    return float(loss), g


class Job(loopchecks.LoopChecks, decodechecks.DecodeChecks, gradients.GradientChecks):
    """One request: the checks to run, each driving the model host through `remote`."""

    def __init__(self, request: dict, host: remote.Remote, fresh: remote.Remote) -> None:
        self.req, self.remote, self.fresh = request, host, fresh
        self.device = torch.device(request["device"])
        self.entry = request.get("entry", "module")
        self.bools = sorted(int(i) for i in request.get("bool_args", []))
        self.loaded = False
        self.sample: list | None = None  # the load check's inputs, for lazy layers

    def build(self, place: dict | None = None, init: dict | None = None) -> int:
        """A fresh instance with the judge's seed: every check starts from the same
        model. `place` ({"device", "dtype", "train"}) moves it and sets its mode in the
        same request; `init` overrides constructor arguments."""
        args: dict = {"seed": self.req["seed"]}
        if init:
            args["init"] = init
        if place is not None:
            args["place"] = {"device": str(self.device), "dtype": None, "train": False, **place}
        h = self.remote("build", **args)["h"]
        if type(h) is not int:
            raise ChannelBroken("a model handle that is not an int")
        return h

    def placed(self, dtype: str | None = None, train: bool = False) -> int:
        return self.build({"dtype": dtype, "train": train})

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

    def _load_args(self) -> dict:
        """What a model host needs to load the submission (`forbidden` aside)."""
        req = self.req
        return {
            "source": req["source"],
            "class_name": req["class_name"],
            "entry": self.entry,
            "init": req.get("init", {}),
            "sample": self.sample,
            "bools": self.bools,
            "outputs": req.get("outputs", []),
        }

    def check_load(self, p: dict, fr: remote._Frames, data: dict) -> None:
        req = self.req
        self.sample = p.get("xs")
        found = self.remote("load", **self._load_args(), forbidden=req.get("forbidden", []))
        keys = (
            *("classes", "module_classes", "functions", "found", "is_class", "is_module"),
            *("is_function", "is_autograd_function", "is_optimizer", "signature"),
        )
        data.update({k: _plain(found[k]) for k in keys if k in found})
        if data.get("is_" + self.entry) is not True:
            return
        self.loaded = True
        called = {"train_step", "resume", "distribution"} & {
            c["name"] for c in req.get("checks", [])
        }
        if called or self.entry == "optimizer":
            return  # called with the judge's objects, not built as a model itself
        built = self.remote("build", seed=req["seed"])
        for key in ("built_type", "params", "layers"):
            data[key] = _plain(built.get(key))

    def check_forbidden_api(self, p: dict, fr: remote._Frames, data: dict) -> None:
        if self.entry == "optimizer":  # no model to build: one step of the class
            found = self.remote("optimizer_probe")
            data.update({k: _plain(found[k]) for k in ("found", "error") if k in found})
            return
        h = self.placed()
        found = self.remote("forbidden", h=h, xs=self.args(p["xs"]), bools=self.bools)
        data["found"] = _plain(found.get("found", []))
        if "error" in found:
            data["error"] = _plain(found["error"])

    def check_shapes(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """Every forward in one round trip; outputs are kept up to the first error."""
        h = self.placed()
        data.update(eval={}, train={})
        fwd = {"h": h, "bools": self.bools, "watch_inputs": True}
        calls = [("forward", {**fwd, "xs": self.args(p["xs"], b)}) for b in p["batch_sizes"]]
        calls += [("forward", {**fwd, "xs": self.args(p["xs"])}), ("mode", {"h": h, "train": True})]
        trains = [b for b in p["batch_sizes"] if b > 1]
        calls += [("forward", {**fwd, "xs": self.args(p["xs"], b)}) for b in trains]
        answers = self.remote.many(calls, strict=False)
        data["inputs_changed"] = sorted(
            {int(i) for a in answers for i in a.get("changed", []) if type(i) is int}
        )[:10]
        it = iter(answers)
        for b in p["batch_sizes"]:
            data["eval"][str(b)] = fr.put(remote.ok(next(it))["out"])
        data["repeat"] = fr.put(remote.ok(next(it))["out"])
        remote.ok(next(it))
        for b in trains:
            data["train"][str(b)] = fr.put(remote.ok(next(it))["out"])

    def check_device(self, p: dict, fr: remote._Frames, data: dict) -> None:
        h = self.build()
        moved, _, done = self.remote.many(
            [
                ("to", {"h": h, "device": str(self.device)}),
                ("mode", {"h": h, "train": False}),
                ("forward", {"h": h, "xs": self.args(p["xs"]), "bools": self.bools}),
            ],
            strict=False,
        )
        data["stray"] = _plain(remote.ok(moved)["stray"])
        data["out"] = fr.put(remote.ok(done)["out"])
        data["out_device"] = done["device"] if isinstance(done.get("device"), str) else None
        if self.device.type == "cpu":
            meta = self.remote(
                "meta", seed=self.req["seed"], xs=self.args(p["xs"]), bools=self.bools
            )
            data["meta"] = _plain(
                {k: meta[k] for k in ("violations", "out_device", "error") if k in meta}
            )

    def check_promises(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """Eval-mode outputs, with the model's state randomised (so that its own
        initialisation cannot hide anything), on two halves of a batch, on a mix of
        them (`MIX` of the first half), on the whole batch and on it ten times wider."""
        x = p["xs"][0]
        n = x.shape[0] // 2
        x1, x2 = x[:n], x[n : 2 * n]
        mix = MIX * x1 + (1 - MIX) * x2
        h = self.build()
        state = _perturbed(self.remote("state", h=h), self.req["seed"] + 1)
        calls: list[tuple[str, dict]] = [
            ("load_state", {"h": h, "state": state}),
            ("to", {"h": h, "device": str(self.device)}),
            ("mode", {"h": h, "train": False}),
        ]
        calls += [("forward", {"h": h, "xs": [t], "bools": []}) for t in (x1, x2, mix, x, 10 * x)]
        outs = self.remote.many(calls)[3:]
        for key, done in zip(("x1", "x2", "mix", "out", "wide"), outs, strict=True):
            data[key] = fr.put(done["out"])

    def check_train_eval(self, p: dict, fr: remote._Frames, data: dict) -> None:
        h = self.build()
        evals, trains = self.remote.many(
            [("mode", {"h": h, "train": False}), ("mode", {"h": h, "train": True})]
        )
        data["not_eval"], data["not_train"] = _plain(evals["wrong"]), _plain(trains["wrong"])

    def check_reference(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """Per trial: the state_dict keys, then the output of each run (mode, dtype)
        with the judge's state loaded. A trial with "perturb" (the reference solution's
        own run) makes the state itself and sends it."""
        module = self.entry == "module"
        data["trials"] = []
        for trial in p["trials"]:
            rec: dict = {"runs": []}
            data["trials"].append(rec)
            state, init = trial.get("state"), trial.get("init")
            if module:
                got = self.remote("state", h=self.build(init=init))
                rec["keys"] = _plain(got["keys"])
                rec["params"] = _plain(got.get("params"))
                if trial.get("perturb") is not None:
                    state = _perturbed(got, trial["perturb"])
                    rec["state"] = {k: fr.put(v) for k, v in state.items()}
            for run in p["runs"]:
                h = self.build(init=init)
                xs = self.args(trial["xs"], dtype=getattr(torch, run["dtype"]))
                calls = [("load_state", {"h": h, "state": state})] if module else []
                calls += [
                    ("to", {"h": h, "device": str(self.device), "dtype": run["dtype"]}),
                    ("mode", {"h": h, "train": run["mode"] == "train"}),
                    ("forward", {"h": h, "xs": xs, "bools": self.bools}),
                ]
                if p["buffers"] and module:
                    calls.append(("buffers", {"h": h}))
                answers = self.remote.many(calls)[1 if module else 0 :]
                done = {"out": fr.put(answers[2]["out"])}
                if p["buffers"] and module:
                    buffers = answers[3]["buffers"]
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

    def check_collate(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """Each of the judge's calls in one round trip, its returned tuple kept as plain
        tensors (a bool one as {"bool": uint8}); then, with a sampler, its batches for
        each seed. The judge compares them with what it computed itself."""
        answers = self.remote.many([("collate", call) for call in p["cases"]], strict=False)
        data["cases"] = []
        for answer in answers:
            out = remote.ok(answer, "collate")["out"]
            if not isinstance(out, list):
                raise ChannelBroken("a collate answer without its outputs")
            data["cases"].append([_collated(v, fr) for v in out[:8]])
        sampler = p.get("sampler")
        if sampler is None:
            return
        args = {k: sampler[k] for k in ("name", "lengths", "max_tokens")}
        calls = [("sampler", {**args, "seed": seed}) for seed in sampler["seeds"]]
        data["sampler"] = []
        for answer in self.remote.many(calls, strict=False):
            data["sampler"].append(_plain(remote.ok(answer, "sampler")["batches"]))

    def check_learning(self, p: dict, fr: remote._Frames, data: dict) -> None:
        """The optimiser runs here, on the gradients the model host returns, with a loss
        computed here from labels the model host never sees. Each step is one round
        trip: the model host steps its own copy of the optimiser and does the next
        forward at once (`step`). The verdict uses only the parameters computed here,
        evaluated by a model host that never saw a gradient (`_after`)."""
        h = self.placed()
        x, y = p["x"], p["y"]
        params = [
            (str(n), _tensor(t, "a parameter").clone())
            for n, t in self.remote("params", h=h)["params"]
        ]
        opt = FlatOptimizer([t for _, t in params], p["optimizer"])
        data["losses"] = []
        data["before"] = fr.put(self.out(h, [x]))
        self.remote.many(
            [("mode", {"h": h, "train": True}), ("optimizer", {"h": h, "spec": p["optimizer"]})]
        )
        done = self.forward(h, [x], grad=True)
        back: list | None = None  # the last step's gradients, applied here while the
        for step in range(p["steps"]):  # model host works on the next step
            data["step"] = step
            if "error" in done:  # the model host's next forward failed
                raise HostError(_plain(done["error"]) if isinstance(done["error"], dict) else {})
            if done["requires_grad"] is not True:
                raise RuntimeError(
                    "element 0 of tensors does not require grad and does not have a grad_fn"
                )
            loss, g = _loss_and_grad(p["loss"], _tensor(done["out"]), y)
            last = step == p["steps"] - 1
            self.remote.send("step", h=h, g=g, xs=[x], bools=self.bools, last=last)
            if back is not None:
                opt.step(back)
            answer = self.remote.receive("step")
            back = self._grads(answer, params)
            data["losses"].append(loss)
            if not last:
                done = answer["next"]
                if not isinstance(done, dict):
                    raise ChannelBroken("a training step without the next output")
        if back is not None:
            opt.step(back)
        moved = [[n, t.detach()] for n, t in params]
        self.remote("mode", h=h, train=False)
        buffers = self.remote("buffers", h=h)["buffers"]
        data["after"] = fr.put(self._after(x, moved, buffers))

    @staticmethod
    def _grads(answer: dict, params: list) -> list:
        """The parameters' gradients in a step's answer, in the parameters' order."""
        back = answer["params"]
        if [str(n) for n, _ in back] != [n for n, _ in params]:
            raise ChannelBroken("the gradients do not match the parameters")
        return [
            None if g is None else _tensor(g, "a gradient").reshape(t.shape)
            for (_, t), (_, g) in zip(params, back, strict=True)
        ]

    def _after(self, x: torch.Tensor, params: list, buffers: dict) -> Any:
        """The trained model's output, from a second model host that was forked before
        the request was read and never saw a gradient: what the first one learned from
        the output gradients (which reveal the labels) reaches this one only through
        the parameter and buffer values."""
        fresh, req = self.fresh, self.req
        fresh("load", **self._load_args(), forbidden=[])
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

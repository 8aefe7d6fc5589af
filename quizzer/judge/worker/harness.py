"""The judge's harness: the sandbox's entry for ONE run. It owns the reply channel, the
request (nonce, probes, labels) and every check's sandboxed half, and it never runs
submitted code: that runs only in the model host (`modelhost.py`), which the harness
forks *before* it reads the request and then drives through `Remote`.

Standalone on purpose: it imports only the standard library and torch (and its two
sibling files, by path), because the sandbox loads this folder without quizzer.
Nothing it sends is trusted either: `quizzer.judge.verdicts` decodes it and decides.

What a submission can no longer do (each was done to the single-process worker): read
the nonce or the reply fd from a stack frame and write a forged reply; patch the check
code or the torch functions it calls; read the learning labels. Every fact here is
computed from values the model host returned: gradients are compared with finite
differences of returned outputs at points the harness chose, and the learning check
runs the optimiser here, on returned gradients, with a loss the harness computes from
labels the model host never sees.

Contract with the sandboxes (`quizzer.judge.sandbox`):
- `python -I harness.py`: reads one request on stdin, replies on its original stdout.
- Warm pools: a parent that has imported this module (and so torch) calls `warm_up()`
  once, forks a child per run, which calls `serve(in_fd, out_fd)` and exits with
  `os._exit(serve(...))`. The parent must never initialise CUDA (fork-unsafe).
- The run has two processes (the harness and the model host); whatever kills the model
  host (a limit, a signal, an exit) is mirrored by the harness, so the sandbox sees
  the run end the way the submission's process did.
- Wire format, both ways: see `wire.py`. The reply is frames "hello", one per check,
  then "end", each carrying the request's nonce and a sequence number. Never pickle.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sys
import threading
import time
import warnings
from typing import Any

warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

try:
    from . import modelhost, wire
except ImportError:  # loaded by path inside the sandbox, beside its siblings
    import importlib.util

    def _sibling(name: str):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
        spec = importlib.util.spec_from_file_location("quizzer_worker_" + name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules["quizzer_worker_" + name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module

    wire = _sibling("wire")
    modelhost = _sibling("modelhost")

build_layers, make_optimizer = modelhost.build_layers, modelhost.make_optimizer
same_device, error_info = modelhost.same_device, modelhost.error_info
encode = wire.encode

_Tensor, _no_grad = torch.Tensor, torch.no_grad
#: The judge's request (inputs, states, the source) and one answer of the model host.
MAX_REQUEST = 256 << 20
MAX_ANSWER = 128 << 20


# --- shared with the trusted side -----------------------------------------------------


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


# --- talking to the model host ----------------------------------------------------------


class HostError(Exception):
    """The model host answered a request with an error (the submission's exception, as
    plain data), or with something that is not a well-formed answer."""

    def __init__(self, info: dict) -> None:
        super().__init__(info.get("message", ""))
        self.info = info


class ChannelBroken(Exception):
    """Bytes on the model host's channel that are not a well-formed answer: the
    submission wrote to it, and nothing more read from it can be trusted."""


class HostGone(Exception):
    """The model host's process ended or closed its channel."""

    def __init__(self, message: str, remote: Remote) -> None:
        super().__init__(message)
        self.remote = remote


def _plain(value: Any, depth: int = 0) -> Any:
    """`value` as JSON-safe plain data: what the model host returned is forwarded to the
    judge only in this form (tensors where data was expected become a description)."""
    if depth > 20:
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value[:1000]]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in list(value.items())[:1000]}
    kind = type(value)
    return {"$type": f"{kind.__module__}.{kind.__qualname__}", "subclass": False}


def _tensor(value: Any, what: str = "the model's output") -> torch.Tensor:
    if type(value) is not _Tensor:
        name = value.get("$type") if isinstance(value, dict) else type(value).__name__
        raise TypeError(f"{what} is {name}, not a plain torch.Tensor")
    return value


def _pack(obj: Any, tensors: list) -> Any:
    if type(obj) is _Tensor:
        tensors.append(obj)
        return {"$t": len(tensors) - 1}
    if isinstance(obj, dict):
        return {k: _pack(v, tensors) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_pack(v, tensors) for v in obj]
    return obj


class Remote:
    """The harness's end of the model host's channel: one request, one answer."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock, self.pid = sock, pid
        self.output: list[str] = []

    def __call__(self, op: str, **args: Any) -> dict:
        return self.many([(op, args)])[0]

    def many(self, calls: list[tuple[str, dict]]) -> list[dict]:
        """Send every request, then read every answer: one round trip for all of them.
        A thread writes while this one reads, so neither side can block the other.
        Every answer is read before an error is raised, so the channel stays in step."""
        frames = []
        for op, args in calls:
            tensors: list = []
            frames.append(wire.encode(_pack({"op": op, **args}, tensors), tensors))
        fd, failed = self.sock.fileno(), []

        def write() -> None:
            try:
                for frame in frames:
                    wire.send(fd, frame)
            except OSError as exc:
                failed.append(exc)

        if len(frames) == 1:  # the model host reads a whole request before it answers
            write()
            if failed:
                raise HostGone(str(failed[0]), self)
            answers = [self._read(calls[0][0])]
        else:
            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            try:
                answers = [self._read(op) for op, _ in calls]
            finally:
                writer.join()
        if failed:
            raise HostGone(str(failed[0]), self)
        for answer in answers:
            if answer["ok"] is not True:
                err = answer.get("error")
                raise HostError(_plain(err) if isinstance(err, dict) else {"type": "Error"})
        return answers

    def _read(self, op: str) -> dict:
        try:
            answer = wire.read_frame(self.sock.fileno(), MAX_ANSWER)
        except (OSError, EOFError) as exc:
            raise HostGone(str(exc), self) from None
        except wire.WireError as exc:
            raise ChannelBroken(f"its answer to a {op!r} request was malformed: {exc}") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise ChannelBroken(f"its answer to a {op!r} request is not an answer")
        out = answer.get("output")
        if isinstance(out, str):
            self.output.append(out)
        return answer

    def take_output(self, limit: int) -> str:
        text, self.output = "".join(self.output), []
        return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more)"

    def mirror_death(self) -> None:
        """End this process the way the model host ended (a limit's signal, an exit
        status), so that the sandbox reports it as the submission's own end."""
        status = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.01)
        else:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            os._exit(3)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
            os._exit(128 + sig)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 3)


class _Frames:
    """Collects tensors while a check's data is turned into JSON for the judge."""

    def __init__(self) -> None:
        self.tensors: list = []

    def put(self, value):
        """A tensor by reference, or the description the model host gave instead."""
        if type(value) is not _Tensor:
            if isinstance(value, dict) and "$type" in value:
                return _plain(value)
            kind = type(value)
            return {"$type": f"{kind.__module__}.{kind.__qualname__}", "subclass": False}
        self.tensors.append(value)
        return {"$t": len(self.tensors) - 1}


# --- the checks' sandboxed halves -------------------------------------------------------


def _put_run(run: dict, fr: _Frames) -> dict:
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

    def __init__(self, request: dict, remote: Remote, fresh: Remote) -> None:
        self.req, self.remote, self.fresh = request, remote, fresh
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

    def check_load(self, p: dict, fr: _Frames, data: dict) -> None:
        req = self.req
        found = self.remote(
            "load",
            source=req["source"],
            class_name=req["class_name"],
            entry=self.entry,
            init=req.get("init", {}),
            forbidden=req.get("forbidden", []),
        )
        keys = ("classes", "module_classes", "functions", "found", "is_class", "is_module")
        keys += ("is_function", "is_autograd_function", "signature")
        data.update({k: _plain(found[k]) for k in keys if k in found})
        if data.get("is_" + self.entry) is not True:
            return
        self.loaded = True
        if "train_step" in [c["name"] for c in req.get("checks", [])]:
            return  # called with the judge's model and optimizer, not as a model itself
        built = self.remote("build", seed=req["seed"])
        for key in ("built_type", "params", "layers"):
            data[key] = _plain(built.get(key))

    def check_forbidden_api(self, p: dict, fr: _Frames, data: dict) -> None:
        h = self.placed()
        found = self.remote("forbidden", h=h, xs=self.args(p["xs"]), bools=self.bools)
        data["found"] = _plain(found.get("found", []))
        if "error" in found:
            data["error"] = _plain(found["error"])

    def check_shapes(self, p: dict, fr: _Frames, data: dict) -> None:
        h = self.placed()
        data.update(eval={}, train={})
        for b in p["batch_sizes"]:
            data["eval"][str(b)] = fr.put(self.out(h, self.args(p["xs"], b)))
        data["repeat"] = fr.put(self.out(h, self.args(p["xs"])))
        self.remote("mode", h=h, train=True)
        for b in p["batch_sizes"]:
            if b > 1:
                data["train"][str(b)] = fr.put(self.out(h, self.args(p["xs"], b)))

    def check_device(self, p: dict, fr: _Frames, data: dict) -> None:
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

    def check_gradients(self, p: dict, fr: _Frames, data: dict) -> None:
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

    def check_train_eval(self, p: dict, fr: _Frames, data: dict) -> None:
        h = self.build()
        data["not_eval"] = _plain(self.remote("mode", h=h, train=False)["wrong"])
        data["not_train"] = _plain(self.remote("mode", h=h, train=True)["wrong"])

    def check_reference(self, p: dict, fr: _Frames, data: dict) -> None:
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

    def check_dropout(self, p: dict, fr: _Frames, data: dict) -> None:
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

    def check_train_step(self, p: dict, fr: _Frames, data: dict) -> None:
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

    def check_learning(self, p: dict, fr: _Frames, data: dict) -> None:
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


# --- the loop -----------------------------------------------------------------------------


def warm_up() -> None:
    """Pays torch's one-time lazy costs (meta kernels, layers, the first autograd call
    and optimiser steps) so that forked children do not. A warm parent calls it once
    after importing this module."""
    with _no_grad():
        torch.nn.Linear(2, 2).to("meta")(torch.empty(1, 2, device="meta"))
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Dropout(0.1), torch.nn.Linear(8, 3),
    )  # fmt: skip
    net.double().eval()(torch.randn(2, 1, 4, 4, dtype=torch.float64))
    if gpu_build():
        return
    net.float().train()
    for opt in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
        o = opt(net.parameters(), lr=0.01)
        out = net(torch.randn(4, 1, 4, 4))
        loss = F.cross_entropy(out, torch.tensor([0, 1, 2, 0]))
        loss.backward()
        o.step()


def gpu_build() -> bool:
    """Whether this torch can drive a GPU. There a backward pass in the warm parent
    would start autograd's device threads, after which every forked child's backward
    fails ("Unable to handle autograd's threading in combination with fork-based
    multiprocessing"), on CPU runs too. Asks without initialising any device."""
    version = torch.version
    xpu = getattr(torch, "xpu", None)
    return bool(
        getattr(version, "cuda", None)
        or getattr(version, "hip", None)
        or torch.backends.mps.is_built()
        or (xpu is not None and getattr(xpu, "_is_compiled", lambda: False)())
    )


#: Set by the "none" sandbox for CPU runs: the address space this process may add to
#: what it maps once torch is imported (a GPU build of torch maps gigabytes it never
#: touches, so the limit cannot be set before the import).
ADDRESS_SPACE_ENV = "QUIZZER_ADDRESS_SPACE_MB"


def _limit_address_space() -> None:
    budget = os.environ.pop(ADDRESS_SPACE_ENV, "")
    if budget.isdigit():
        import resource

        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + (int(budget) << 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4


def start_host() -> tuple[socket.socket, int]:
    """Fork the model host now, while this process holds nothing secret. This process
    becomes non-dumpable first: a process of the same user then cannot read its memory
    or open its descriptors through /proc (and seccomp denies ptrace anyway)."""
    _prctl(PR_SET_DUMPABLE, 0)
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        theirs.close()
        return mine, pid
    code = 70
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        fd = theirs.detach()
        mine.close()
        os.dup2(fd, 3)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the judge's request is still unread on fd 0
        os.dup2(2, 1)  # fd 1 is the reply channel: prints go to the output instead
        os.closerange(4, max(os.sysconf("SC_OPEN_MAX"), 1024))
        code = modelhost.serve_host(3)
    finally:
        os._exit(code)


def serve(in_fd: int, out_fd: int) -> int:
    """Read one request from `in_fd`, run its checks, write frames to `out_fd`.
    Returns an exit code. Call it in a fresh process that exits afterwards."""
    _limit_address_space()
    sock, pid = start_host()
    fresh_sock, fresh_pid = start_host()  # for the learning check's trained model
    reply = os.dup(out_fd)  # private and non-inheritable; fd 1 becomes output
    sys.stdout.flush()
    os.dup2(2, 1)
    request = wire.read_frame(in_fd, MAX_REQUEST)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    torch.set_num_threads(int(request.get("threads", 1)))
    remote, fresh = Remote(sock, pid), Remote(fresh_sock, fresh_pid)
    try:
        return _run(request, remote, fresh, reply)
    except HostGone as exc:
        exc.remote.mirror_death()
    return 3


def _run(request: dict, remote: Remote, fresh: Remote, reply: int) -> int:
    if request.get("device") == "cuda":  # full float32 precision: the judge compares at 1e-4
        remote("precision", allow_tf32=False)
    nonce, seq = request["nonce"], 0
    capture = int(request.get("capture_chars", 500))

    def send(kind: str, header: dict, tensors: list) -> None:
        nonlocal seq
        wire.send(reply, encode({"nonce": nonce, "seq": seq, "kind": kind, **header}, tensors))
        seq += 1

    send("hello", {"python": sys.version.split()[0], "torch": torch.__version__}, [])
    job = Job(request, remote, fresh)
    for check in request["checks"]:
        frames = _Frames()
        header: dict = {"name": check["name"], "data": {}}
        started = time.perf_counter()
        try:
            getattr(job, "check_" + check["name"])(check, frames, header["data"])
        except HostGone:
            raise
        except ChannelBroken as exc:
            header["broken"] = str(exc)
            job.loaded = False  # the channel is out of step: end the run here
        except HostError as exc:
            header["error"] = _plain(exc.info)
        except Exception as exc:  # a malformed answer the check could not use
            header["error"] = error_info(exc)
        header["elapsed_s"] = time.perf_counter() - started
        header["output"] = remote.take_output(capture)
        try:
            send("check", header, frames.tensors)
        except Exception as exc:
            send("check", {"name": check["name"], "data": {}, "error": error_info(exc)}, [])
        if not job.loaded:  # nothing to check without the class
            break
    send("end", {}, [])
    for host in (remote, fresh):
        host.sock.close()
        with contextlib.suppress(OSError):
            os.kill(host.pid, signal.SIGKILL)
            os.waitpid(host.pid, 0)
    return 0


def main() -> None:
    code = serve(0, 1)
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()

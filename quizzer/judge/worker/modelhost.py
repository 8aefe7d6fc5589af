"""The model host: the one process that runs submitted code. It holds no secret.

Standalone (stdlib + torch). The harness (`harness.py`) forks it before the harness
reads the judge's request, so this process never held the nonce, the reply channel,
the probes, the labels or the check code's state. `serve_host(fd)` answers the
harness's narrow requests on one socket, one frame each way (`wire.py`):

    load, build, to, mode, params, set_params, state, load_state, buffers, forward,
    backward, points, optimizer, step, forbidden, meta, train_step, collate, sampler,
    and (`loophost.py`)
    optimizer_run, optimizer_probe, training_run, and (`decodehost.py`) sample_call,
    cached_forward

Each request names an operation and plain arguments: never which check it serves. What
the submission prints during a request is returned with the answer (capped); an
exception becomes a plain description of it (`error_info`). Nothing answered here is
trusted: the harness computes every fact from the values it gets back.
"""

from __future__ import annotations

import inspect
import linecache
import sys
import types
from typing import Any

import torch
from torch.nn.parameter import is_lazy

try:
    from . import observe, packing, training, wire
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    wire = sys.modules["quizzer_worker_wire"]
    observe = sys.modules["quizzer_worker_observe"]
    training = sys.modules["quizzer_worker_training"]
    packing = sys.modules["quizzer_worker_packing"]

try:
    from . import loophost
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    loophost = sys.modules["quizzer_worker_loophost"]

try:
    from . import decodehost
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    decodehost = sys.modules["quizzer_worker_decodehost"]

SUB = observe.SUB
_STACK, _NAMES, _SEEN = observe._STACK, observe._NAMES, observe._SEEN
_Capture, _CallSpy, _DeviceSpy = observe._Capture, observe._CallSpy, observe._DeviceSpy
_name_modules, _pre_hook, _post_hook = observe._name_modules, observe._pre_hook, observe._post_hook
error_info = observe.error_info
build_layers, make_optimizer = training.build_layers, training.make_optimizer
FlatOptimizer, _LOSSES = training.FlatOptimizer, training._LOSSES

#: What one request from the harness may hold (its inputs and states are small).
MAX_REQUEST = 256 << 20
#: The models one run keeps built at once (a check builds a few; older ones go).
MAX_MODELS = 8

_Module, _Tensor, _no_grad = torch.nn.Module, torch.Tensor, torch.no_grad
_Function, _grad = torch.autograd.Function, torch.autograd.grad


def reseed(seed: int) -> None:
    """`torch.manual_seed` without its cost: before CUDA is initialised, that also queues
    a lazy CUDA seeding and records the caller's stack each time (0.6 ms, more than a
    small model's forward). The CPU generator, and CUDA's once it is in use, are the
    ones a run draws from."""
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_initialized():
        torch.cuda.manual_seed_all(seed)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal values (NaN equal to NaN), shape and dtype."""
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and bool(
            torch.equal(a, b)
            or (
                a.is_floating_point()
                and torch.equal(a.isnan(), b.isnan())
                and torch.equal(a.nan_to_num(), b.nan_to_num())
            )
        )
    )


def same_device(a: torch.device, b: torch.device) -> bool:
    """Whether `a` and `b` name the same place: "cuda" (no index) is whichever GPU is
    current, so it matches "cuda:0" there, as `.to("cuda")` puts tensors on it."""
    return a.type == b.type and (a.index is None or b.index is None or a.index == b.index)


class _Frames:
    """Collects the tensors of one answer while it is turned into JSON."""

    def __init__(self) -> None:
        self.tensors: list = []

    def put(self, value):
        """A plain tensor by reference, or a description of what was there instead."""
        if type(value) is not _Tensor:
            kind = type(value)
            sub = isinstance(value, _Tensor)
            return {"$type": f"{kind.__module__}.{kind.__qualname__}", "subclass": sub}
        if str(value.dtype).removeprefix("torch.") not in wire.DTYPES:
            return {"$type": f"torch.Tensor of dtype {value.dtype}", "subclass": False}
        self.tensors.append(value.detach())
        return {"$t": len(self.tensors) - 1}


class _Call(torch.nn.Module):
    """A function entry seen as a module, so that every request can call it alike."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def _torch_name(name: str):
    """The torch object a dotted name such as torch.nn.Linear names, or None."""
    parts = name.split(".")
    obj = torch if parts[0] == "torch" else None
    for part in parts[1:]:
        obj = getattr(obj, part, None)
    return obj


class Host(loophost.LoopOps, decodehost.DecodeOps):
    """The submission's namespace, the models built from it, and the operations."""

    def __init__(self) -> None:
        self.obj: Any = None
        self.namespace: dict = {}  # the submission module's globals
        self.entry = "module"
        self.init: dict = {}
        self.forbidden: dict = {}
        self.models: dict[int, Any] = {}
        self.where: dict[int, torch.device] = {}
        self.graph: tuple | None = None  # (handle, output, leaves) of the last grad forward
        self.opt: tuple | None = None  # (handle, FlatOptimizer) for op_step
        self.sample: dict | None = None
        #: The elements of a tuple output, packed into one tensor (spec.outputs).
        self.outputs: list[dict] = []
        self.next = 0

    # -- helpers -----------------------------------------------------------------------

    def _new(self, seed: int, init: dict | None = None):
        reseed(seed)
        if self.entry == "module":
            model = self.obj(**{**self.init, **(init or {})})
            if self.sample and any(is_lazy(t) for t in model.parameters()):
                # lazy layers (LazyLinear) get their shapes from a first forward
                was = model.training
                model.eval()
                with _no_grad():
                    model(*self._inputs(self.sample, torch.device("cpu")))
                model.train(was)
        else:
            model = _Call(self.obj.apply if self.entry == "autograd_function" else self.obj)
        _NAMES.clear()
        if isinstance(model, _Module):
            _name_modules(model)
        return model

    def _model(self, a: dict):
        return self.models[int(a["h"])]

    def _inputs(self, a: dict, device: torch.device) -> list:
        bools = set(a.get("bools", []))
        grad = set(a.get("grad_inputs", []))
        out = []
        for i, t in enumerate(a["xs"]):
            t = t.bool() if i in bools and t.dtype == torch.uint8 else t  # labels stay int64
            t = t.to(device)
            if i in grad:
                t = t.detach().requires_grad_(True)
            out.append(t)
        return out

    def _call(self, model, args: list, device: torch.device):
        _STACK.clear()
        out = model(*args)
        if self.outputs:
            out = packing.pack_outputs(out, self.outputs)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return out

    # -- operations --------------------------------------------------------------------

    def op_load(self, a: dict, fr: _Frames) -> dict:
        # resolved before the submission runs, so that patching torch cannot hide them
        found_names = {n: _torch_name(n) for n in a.get("forbidden", [])}
        self.forbidden = {n: o for n, o in found_names.items() if o is not None}
        self.entry, self.init = a.get("entry", "module"), dict(a.get("init", {}))
        self.outputs = list(a.get("outputs") or [])
        if a.get("sample") is not None:  # inputs that materialise lazy layers
            self.sample = {"xs": a["sample"], "bools": a.get("bools", [])}
        source = a["source"]
        linecache.cache[SUB] = (len(source), None, source.splitlines(True), SUB)
        code = compile(source, SUB, "exec", dont_inherit=True)
        mod = types.ModuleType("submission")
        mod.__file__ = SUB
        sys.modules["submission"] = mod
        try:
            exec(code, mod.__dict__)
        finally:
            for var, value in list(vars(mod).items()):
                if isinstance(value, _Module) and not isinstance(value, type):
                    _name_modules(value, var)
        found = self.namespace = vars(mod)
        classes = [k for k, v in found.items() if isinstance(v, type)]
        modules = [k for k in classes if issubclass(found[k], _Module)]
        functions = [k for k, v in found.items() if isinstance(v, types.FunctionType)]
        data: dict = {"classes": classes[:50], "module_classes": modules[:50]}
        data["functions"] = functions[:50]
        obj: Any = found.get(a["class_name"])
        data["found"] = obj is not None
        data["is_class"] = isinstance(obj, type)
        data["is_module"] = isinstance(obj, type) and issubclass(obj, _Module)
        data["is_function"] = callable(obj) and not isinstance(obj, type)
        data["is_autograd_function"] = isinstance(obj, type) and issubclass(obj, _Function)
        data["is_optimizer"] = isinstance(obj, type) and issubclass(obj, loophost._Optimizer)
        if data["is_" + self.entry]:
            self.obj = obj
            if self.entry == "function":
                try:
                    params = inspect.signature(obj).parameters.values()
                    data["signature"] = [
                        [q.name, q.kind.name, q.default is not q.empty] for q in params
                    ][:50]
                except (TypeError, ValueError):
                    data["signature"] = None
        return data

    def op_build(self, a: dict, fr: _Frames) -> dict:
        model = self._new(int(a["seed"]), a.get("init"))
        h, self.next = self.next, self.next + 1
        self.models[h], self.where[h] = model, torch.device("cpu")
        for old in sorted(self.models)[:-MAX_MODELS]:
            del self.models[old], self.where[old]
        named = list(model.named_parameters())
        done = {
            "h": h,
            "built_type": type(model).__qualname__,
            "params": [[n, list(t.shape), bool(t.requires_grad), str(t.dtype)] for n, t in named][
                :500
            ],
            "layers": sorted({type(m).__name__ for m in model.modules()})[:100],
        }
        place = a.get("place")  # `to` and `mode` at once, sparing two round trips
        if place:
            done.update(self.op_to({**place, "h": h}, fr))
            done.update(self.op_mode({**place, "h": h}, fr))
        return done

    def op_to(self, a: dict, fr: _Frames) -> dict:
        model, device = self._model(a), torch.device(a["device"])
        dtype = getattr(torch, a["dtype"]) if a.get("dtype") else None
        model = model.to(device) if dtype is None else model.to(device, dtype)
        self.models[int(a["h"])], self.where[int(a["h"])] = model, device
        named = [*model.named_parameters(), *model.named_buffers()]
        return {"stray": [n for n, t in named if not same_device(t.device, device)][:20]}

    def op_mode(self, a: dict, fr: _Frames) -> dict:
        model, train = self._model(a), bool(a["train"])
        model.train(train)
        wrong = [_NAMES.get(id(m), "?") for m in model.modules() if m.training != train]
        return {"wrong": wrong[:20]}

    def op_params(self, a: dict, fr: _Frames) -> dict:
        named = [(n, t) for n, t in self._model(a).named_parameters() if t.requires_grad]
        return {"params": [[n, fr.put(t.detach())] for n, t in named]}

    def op_set_params(self, a: dict, fr: _Frames) -> dict:
        named = dict(self._model(a).named_parameters())
        with _no_grad():
            for name, value in a["params"]:
                named[name].copy_(value)
        return {}

    def op_state(self, a: dict, fr: _Frames) -> dict:
        model = self._model(a)
        state = model.state_dict()
        trainable = [n for n, t in model.named_parameters() if t.requires_grad]
        return {
            "keys": [[k, list(v.shape)] for k, v in state.items()][:200],
            "params": trainable[:200],
            "state": {k: fr.put(v) for k, v in state.items()},
        }

    def op_load_state(self, a: dict, fr: _Frames) -> dict:
        self._model(a).load_state_dict(a["state"])
        return {}

    def op_load_buffers(self, a: dict, fr: _Frames) -> dict:
        named = dict(self._model(a).named_buffers())
        with _no_grad():
            for name, value in a["buffers"]:
                named[name].copy_(value)
        return {}

    def op_buffers(self, a: dict, fr: _Frames) -> dict:
        return {"buffers": {k: fr.put(v) for k, v in self._model(a).named_buffers()}}

    def op_forward(self, a: dict, fr: _Frames) -> dict:
        h = int(a["h"])
        model, device = self.models[h], self.where[h]
        if a.get("params"):  # new parameter values first (a training step, a probe point)
            self.op_set_params(a, fr)
        if a.get("seed") is not None:  # the same dropout mask at every probe point
            reseed(int(a["seed"]))
        xs = self._inputs(a, device)
        saved = [x.detach().clone() for x in xs] if a.get("watch_inputs") else None
        self.graph = None
        if a.get("grad"):
            out = self._call(model, xs, device)
            leaves = [xs[i] for i in a.get("grad_inputs", [])]
            leaves += [t for _, t in model.named_parameters() if t.requires_grad]
            self.graph = (h, out, leaves, len(a.get("grad_inputs", [])))
        else:
            with _no_grad():
                out = self._call(model, xs, device)
        tensor = type(out) is _Tensor
        done = {"out": fr.put(out), "device": str(out.device) if tensor else None}
        if saved is not None:  # asked to watch: did forward write into its inputs?
            pairs = zip(xs, saved, strict=True)
            changed = [i for i, (x, kept) in enumerate(pairs) if not _same(x.detach(), kept)]
            if changed:
                done["changed"] = changed
        done["requires_grad"] = bool(out.requires_grad) if tensor else False
        if a.get("return_inputs"):
            done["inputs"] = [fr.put(x.detach()) for x in xs]
        if a.get("grad") and a.get("g") is not None and done["requires_grad"]:
            done["back"] = self.op_backward(a, fr)  # the output gradient came along
        return done

    def op_points(self, a: dict, fr: _Frames) -> dict:
        """Outputs at many points near one: each point [k, value] gives group k (the
        inputs listed in `grad_inputs`, then the trainable parameters) that value and
        leaves every other at its own; k = -1 is the point itself. Every forward is
        without grad and, with `seed`, starts from it."""
        h = int(a["h"])
        model, device = self.models[h], self.where[h]
        xs = self._inputs({**a, "grad_inputs": []}, device)
        at = [int(i) for i in a.get("grad_inputs", [])]
        params = [t for _, t in model.named_parameters() if t.requires_grad]
        outs = []
        with _no_grad():
            for k, value in a["points"]:
                k = int(k)
                args, param = list(xs), None
                if 0 <= k < len(at):
                    args[at[k]] = value.to(device)
                elif k >= len(at):
                    param = params[k - len(at)]
                    base = param.detach().clone()
                    param.copy_(value)
                if a.get("seed") is not None:
                    reseed(int(a["seed"]))
                try:
                    outs.append(fr.put(self._call(model, args, device)))
                finally:
                    if param is not None:
                        param.copy_(base)
        return {"outs": outs}

    def _backward(self, a: dict) -> tuple[int, list, int]:
        """Gradients of the last grad forward's output for the output gradient `g`:
        (handle, gradients of its input and parameter leaves, how many are inputs)."""
        if self.graph is None or self.graph[0] != int(a["h"]):
            raise RuntimeError("backward without a forward that kept its graph")
        h, out, leaves, n_inputs = self.graph
        self.graph = None
        g = a["g"].to(out.device, out.dtype)
        return h, list(_grad(out, leaves, g, allow_unused=True)), n_inputs

    def _grads_answer(self, h: int, grads: list, n_inputs: int, fr: _Frames) -> dict:
        names = [n for n, t in self.models[h].named_parameters() if t.requires_grad]
        put = [None if g is None else fr.put(g) for g in grads]
        return {
            "inputs": put[:n_inputs],
            "params": [list(p) for p in zip(names, put[n_inputs:], strict=True)],
        }

    def op_backward(self, a: dict, fr: _Frames) -> dict:
        return self._grads_answer(*self._backward(a), fr)

    def op_optimizer(self, a: dict, fr: _Frames) -> dict:
        """This host's own copy of the judge's optimiser for model `h` (see op_step)."""
        h = int(a["h"])
        params = [t for _, t in self.models[h].named_parameters() if t.requires_grad]
        self.opt = (h, FlatOptimizer(params, a["spec"]))
        return {}

    def op_step(self, a: dict, fr: _Frames) -> dict:
        """A training step in one round trip: the parameters' gradients for the output
        gradient `g` (returned), one step of this host's optimiser with them, then the
        next grad forward on `xs` (returned under "next", unless `last`). The harness
        steps its own optimiser with the returned gradients and judges only the
        parameters it computed, so what this host steps to decides nothing."""
        h, grads, n_inputs = self._backward(a)
        if self.opt is None or self.opt[0] != h:
            raise RuntimeError("a training step without an optimiser")
        self.opt[1].step(grads[n_inputs:])
        done = self._grads_answer(h, grads, n_inputs, fr)
        if not a.get("last"):
            try:
                done["next"] = self.op_forward({**a, "grad": True, "g": None}, fr)
            except Exception as exc:  # the next step's forward failed: say so apart
                done["next"] = {"error": error_info(exc)}
        return done

    def op_forbidden(self, a: dict, fr: _Frames) -> dict:
        """Forbidden classes among the modules built or called, forbidden functions
        among the calls torch sees: what the syntax tree cannot show."""
        model, device = self._model(a), self.where[int(a["h"])]
        classes = [(n, o) for n, o in self.forbidden.items() if isinstance(o, type)]
        _SEEN.clear()
        spy = _CallSpy({id(o): n for n, o in self.forbidden.items()})
        data: dict = {}
        try:
            with spy, _no_grad():
                self._call(model, self._inputs(a, device), device)
        except BaseException as exc:
            data["error"] = error_info(exc)
        found = set()
        for kind in {type(m) for m in model.modules()} | _SEEN:
            found |= {n for n, o in classes if issubclass(kind, o)}
        data["found"] = sorted(found | spy.found)[:20]
        return data

    def op_meta(self, a: dict, fr: _Frames) -> dict:
        """Forward on the meta device, in eval and then in training mode (a dropout mask
        or noise made on the CPU shows only there): tensors that follow the input stay
        on meta, while a hard-coded device shows up as a mix of meta and real tensors."""
        model = self._new(int(a["seed"])).to("meta")
        spy = _DeviceSpy()
        result: dict = {"violations": spy.violations}
        for train in (False, True):
            model.train(train)
            spy.mode = "train" if train else "eval"
            try:
                with spy, _no_grad():
                    meta = torch.device("meta")
                    out = self._call(model, self._inputs(a, meta), meta)
                result.setdefault("out_device", str(getattr(out, "device", None)))
            except BaseException as exc:
                result.setdefault("error", {**error_info(exc), "mode": spy.mode})
            if spy.violations or "error" in result:
                break
        return result

    def op_precision(self, a: dict, fr: _Frames) -> dict:
        torch.backends.cuda.matmul.allow_tf32 = bool(a["allow_tf32"])
        torch.backends.cudnn.allow_tf32 = bool(a["allow_tf32"])
        return {}

    def op_train_step(self, a: dict, fr: _Frames) -> dict:
        """The submission's own training step, called on the judge's model: the facts
        are the states after each call, which the harness compares with its replay."""
        device = torch.device(a["device"])
        model = build_layers(a["layers"]).to(device)
        model.load_state_dict(a["state"])
        model.eval()  # the step must switch the model to training mode itself
        opt = make_optimizer(model.parameters(), a["optimizer"])
        for t, g in zip(model.parameters(), a["stale"], strict=True):
            t.grad = g.to(device).clone()  # a correct step discards these
        loss_fn = _LOSSES[a["loss"]]()
        steps: list = []
        norms = a["max_norm"] if isinstance(a["max_norm"], list) else [a["max_norm"]] * len(a["xs"])
        for x, y, norm in zip(a["xs"], a["ys"], norms, strict=True):
            got = self.obj(model, opt, loss_fn, x.to(device), y.to(device), float(norm))
            steps.append(
                {
                    "returned": got if type(got) is float else fr.put(got),
                    "state": {k: fr.put(v.detach().clone()) for k, v in model.state_dict().items()},
                }
            )
        return {"steps": steps}

    def op_collate(self, a: dict, fr: _Frames) -> dict:
        """The submission's collate function on one batch the harness sent."""
        samples = zip(a["tokens"], a["labels"], strict=True)
        out = self.obj([(t.clone(), int(y)) for t, y in samples], int(a["pad_id"]), a["multiple"])
        put = []
        for v in packing.plain_outputs(out, 4):
            if isinstance(v, dict) and set(v) == {"bool"}:
                put.append({"bool": fr.put(v["bool"])})
            elif isinstance(v, dict) and set(v) == {"$what"}:
                put.append({"$what": str(v["$what"])[:200]})
            else:  # a plain tensor, or a description of what came instead
                put.append(fr.put(v))
        return {"out": put}

    def op_sampler(self, a: dict, fr: _Frames) -> dict:
        """The submission's batch sampler (a function named by the task, beside the
        entry), called with the lengths, the bound and a seed; its batches as lists of
        ints, or what it returned instead, in words."""
        fn = self.namespace.get(str(a["name"]))
        if not callable(fn):
            raise NameError(f"submission.py defines no function {a['name']}")
        out = fn(list(a["lengths"]), int(a["max_tokens"]), int(a["seed"]))
        return {"batches": packing.plain_batches(out)}


def serve_host(fd: int, capture_chars: int = 500) -> int:
    """Answer the harness's requests on `fd` until it closes it. Returns an exit code."""
    torch.nn.modules.module.register_module_forward_pre_hook(_pre_hook)
    torch.nn.modules.module.register_module_forward_hook(_post_hook)
    host, keep = Host(), (sys.stdout, sys.stderr)
    while True:
        try:
            request = wire.read_frame(fd, MAX_REQUEST)
        except EOFError:
            return 0
        fr, capture = _Frames(), _Capture(capture_chars)
        op = request.get("op", "")
        sys.stdout = sys.stderr = capture
        try:
            answer = {"ok": True, **getattr(host, "op_" + op)(request, fr)}
        except BaseException as exc:
            fr, answer = _Frames(), {"ok": False, "error": error_info(exc)}
        finally:
            sys.stdout, sys.stderr = keep
        answer["output"] = capture.text()
        try:
            frame = wire.encode(answer, fr.tensors)
        except BaseException as exc:
            frame = wire.encode({"ok": False, "error": error_info(exc), "output": ""}, [])
        wire.send(fd, frame)


__all__ = [
    "FlatOptimizer",
    "build_layers",
    "error_info",
    "make_optimizer",
    "same_device",
    "serve_host",
]

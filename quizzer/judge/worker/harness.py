"""The judge's worker: runs ONE untrusted submission's checks and reports raw facts.

Standalone on purpose: it imports only the standard library and torch, never quizzer,
because the sandbox binds this one file and runs it as `python -I worker.py`.
Nothing it sends is trusted; `quizzer.judge.verdicts` decodes it and decides.

It is longer than the judge's other modules because it is the one file bound into the
sandbox: every check's untrusted half lives here (entries: an nn.Module class, a
function, or an autograd.Function; inputs beyond the first, sent as a list with masks as
uint8; the reference, dropout and train_step probes).

Contract with the sandboxes (`quizzer.judge.sandbox`):
- `python -I worker.py`: reads one request on stdin, replies on its original stdout.
- Warm pools: a parent that has imported this module (and so torch) forks a child,
  which calls `serve(in_fd, out_fd)` and then exits with `os._exit(serve(...))`.
  `serve` runs untrusted code that may alter the whole process, so the child must be
  fresh and must never be reused. The parent must never initialise CUDA (fork-unsafe);
  importing this module does not touch CUDA, only a request for device "cuda" does.
- `serve` moves the reply channel to a private fd and points fd 1 at fd 2, so what the
  submission prints (to fd 1 or 2) is output, never reply. Output is whatever fd 2 is.
- Wire format, both ways, a sequence of frames:
  b"QZJ1" | u32 header length | u64 body length | header (UTF-8 JSON) | body.
  The header lists the body's tensors as [dtype, shape] under "tensors"; the body is
  their raw little-endian bytes, back to back; JSON refers to tensor i as {"$t": i}.
  The request is one frame; the reply is frames "hello", one per check, then "end",
  each carrying the request's nonce and a sequence number. Never pickle.
"""

from __future__ import annotations

import ctypes
import inspect
import io
import json
import linecache
import os
import struct
import sys
import time
import traceback
import types
import warnings
from typing import Any

warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402

MAGIC = b"QZJ1"
PREFIX = struct.Struct(">4sIQ")
SUB = "submission.py"
MAX_REQUEST = 256 << 20
DTYPES = {"float16", "bfloat16", "float32", "float64", "int64", "int32", "int16", "int8", "uint8"}

# Kept before the submission runs, so that patching torch cannot change what the
# worker itself calls (the verdict is computed elsewhere anyway).
_Module, _Tensor, _no_grad = torch.nn.Module, torch.Tensor, torch.no_grad
_Function = torch.autograd.Function
_write, _cross_entropy, _mse = os.write, F.cross_entropy, F.mse_loss
_OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


# --- wire format -------------------------------------------------------------------


def encode(header: dict, tensors: list) -> bytes:
    blobs, specs = [], []
    for t in tensors:
        t = t.detach().cpu().contiguous()
        specs.append([str(t.dtype).removeprefix("torch."), list(t.shape)])
        nbytes = t.numel() * t.element_size()
        blobs.append(ctypes.string_at(t.data_ptr(), nbytes) if nbytes else b"")
    head = json.dumps({**header, "tensors": specs}).encode()
    body = b"".join(blobs)
    return PREFIX.pack(MAGIC, len(head), len(body)) + head + body


def _read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError(f"request ends after {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_request(fd: int) -> dict:
    magic, hlen, blen = PREFIX.unpack(_read_exact(fd, PREFIX.size))
    if magic != MAGIC or hlen + blen > MAX_REQUEST:
        raise ValueError("not a judge request")
    header = json.loads(_read_exact(fd, hlen))
    body, offset, tensors = _read_exact(fd, blen), 0, []
    for dtype, shape in header.pop("tensors"):
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype} not allowed")
        dt = getattr(torch, dtype)
        n = dt.itemsize
        for dim in shape:
            n *= dim
        raw = bytearray(body[offset : offset + n])
        offset += n
        t = torch.frombuffer(raw, dtype=dt) if n else torch.empty(0, dtype=dt)
        tensors.append(t.reshape(shape))
    return _resolve(header, tensors)


def _resolve(obj, tensors):
    if isinstance(obj, dict):
        if set(obj) == {"$t"}:
            return tensors[obj["$t"]]
        return {k: _resolve(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_resolve(v, tensors) for v in obj]
    return obj


class _Frames:
    """Collects tensors while a check's data is turned into JSON."""

    def __init__(self) -> None:
        self.tensors: list = []

    def put(self, value):
        """A tensor by reference, or a plain description of what was there instead."""
        if type(value) is not _Tensor:
            kind = type(value)
            sub = isinstance(value, _Tensor)
            return {"$type": f"{kind.__module__}.{kind.__qualname__}", "subclass": sub}
        self.tensors.append(value)
        return {"$t": len(self.tensors) - 1}


# --- what the submission did --------------------------------------------------------

_STACK: list = []  # (module, input shapes) of the forward calls now running
_NAMES: dict[int, str] = {}
_SEEN: set = set()  # types of the modules called, for the forbidden_api check


def _pre_hook(module, args):
    _SEEN.add(type(module))
    shapes = [list(a.shape) for a in args if isinstance(a, _Tensor)]
    _STACK.append((module, shapes))


def _post_hook(module, args, output):
    if _STACK:
        _STACK.pop()


def _name_modules(root, prefix: str = "") -> None:
    for name, m in root.named_modules():
        _NAMES[id(m)] = ".".join(p for p in (prefix, name) if p) or type(root).__name__


def _cap(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + f" ... ({len(text) - n} more characters)"


def _frames(tb_frames) -> list:
    return [[f.lineno, f.name, (f.line or "").strip()] for f in tb_frames if f.filename == SUB]


def error_info(exc: BaseException) -> dict:
    try:
        message = str(exc)
    except BaseException:
        message = "<the exception's message could not be read>"
    info: dict = {
        "type": type(exc).__name__,
        "message": _cap(message, 2000),
        "frames": _frames(traceback.extract_tb(exc.__traceback__))[-8:],
    }
    if isinstance(exc, SyntaxError) and exc.filename == SUB:
        info.update(lineno=exc.lineno, offset=exc.offset, text=(exc.text or "").rstrip("\n"))
        info["message"] = _cap(str(exc.msg), 300)
    if isinstance(exc, SystemExit):
        info["message"] = f"the submission called sys.exit({exc.code!r})"[:300]
    if _STACK:
        m, shapes = _STACK[-1]
        info["module"] = {
            "name": _NAMES.get(id(m), type(m).__name__),
            "type": type(m).__name__,
            "repr": _cap(f"{type(m).__name__}({m.extra_repr()})", 200),
            "input_shapes": shapes[:4],
            "in_features": getattr(m, "in_features", None),
            "in_channels": getattr(m, "in_channels", None),
        }
    return info


class _Capture(io.TextIOBase):
    """What the submission prints during one check, head kept, the rest counted."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.parts: list[str] = []

    def write(self, s) -> int:
        s = str(s)
        if self.size < self.limit:
            self.parts.append(s[: self.limit - self.size])
        self.size += len(s)
        return len(s)

    def text(self) -> str:
        head = "".join(self.parts)
        return head + (
            f" ... ({self.size - len(head)} more characters)" if self.size > len(head) else ""
        )


# --- the checks' untrusted halves ---------------------------------------------------


class _Call(torch.nn.Module):
    """A function entry seen as a module, so that every check can call it alike."""

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


def perturb_state(model, seed: int) -> None:
    """Gives every floating parameter and buffer a random value unlike any default
    initialisation (running variances stay positive). The judge does the same to the
    built-ins it compares with, so the rule lives here, once."""
    gen = torch.Generator().manual_seed(seed)
    with _no_grad():
        for name, t in model.state_dict(keep_vars=True).items():
            if not t.is_floating_point():
                continue
            noise = torch.randn(t.shape, generator=gen, dtype=torch.float64)
            if name.rsplit(".", 1)[-1] == "running_var":
                new = 0.5 + torch.rand(t.shape, generator=gen, dtype=torch.float64)
            else:
                spread = float(t.double().std()) if t.numel() > 1 else 0.0
                new = t.double() + 0.5 * max(spread, 0.5) * noise
            t.copy_(new.to(t.dtype))


_LAYERS = {
    "linear": torch.nn.Linear,
    "batchnorm1d": torch.nn.BatchNorm1d,
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
}
_LOSSES = {"cross_entropy": torch.nn.CrossEntropyLoss, "mse": torch.nn.MSELoss}


def build_layers(layers: list) -> torch.nn.Sequential:
    """The train_step check's model, e.g. [["linear", 8, 16], ["tanh"]]; the judge
    builds the same one to know what a correct step does."""
    return torch.nn.Sequential(*[_LAYERS[str(x[0])](*[int(n) for n in x[1:]]) for x in layers])


def make_optimizer(params, spec: dict):
    kwargs = {"lr": spec["lr"]}
    if spec["name"] == "sgd":
        kwargs["momentum"] = spec["momentum"]
    return _OPTIMIZERS[spec["name"]](params, **kwargs)


class Job:
    """One request: the submission's namespace, its entry, and the checks to run."""

    def __init__(self, request: dict) -> None:
        self.req = request
        self.device = torch.device(request["device"])
        self.entry = request.get("entry", "module")
        self.bools = set(request.get("bool_args", []))
        self.cls: Any = None
        # resolved before the submission runs, so that patching torch cannot hide them
        found = {n: _torch_name(n) for n in request.get("forbidden", [])}
        self.forbidden = {n: o for n, o in found.items() if o is not None}

    def build(self):
        """A fresh instance with the judge's seed: every check starts from the same model."""
        torch.manual_seed(self.req["seed"])
        assert self.cls is not None
        if self.entry == "module":
            model = self.cls(**self.req.get("init", {}))
        else:
            model = _Call(self.cls.apply if self.entry == "autograd_function" else self.cls)
        _NAMES.clear()
        if isinstance(model, _Module):
            _name_modules(model)
        return model

    def args(self, xs: list, b=None, dtype=None, device=None) -> list:
        """The inputs, cut to `b` rows, masks as bool, floats in `dtype`, on the device."""
        out = []
        for i, t in enumerate(xs):
            t = t if b is None else t[:b]
            t = t.bool() if i in self.bools else (t if dtype is None else t.to(dtype))
            out.append(t.to(device or self.device))
        return out

    def forward(self, model, *args):
        _STACK.clear()
        out = model(*args)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return out

    def check_load(self, p: dict, fr: _Frames, data: dict) -> None:
        source = self.req["source"]
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
        found = vars(mod)
        classes = [k for k, v in found.items() if isinstance(v, type)]
        modules = [k for k in classes if issubclass(found[k], _Module)]
        functions = [k for k, v in found.items() if isinstance(v, types.FunctionType)]
        data.update(classes=classes[:50], module_classes=modules[:50], functions=functions[:50])
        obj: Any = found.get(self.req["class_name"])
        data["found"] = obj is not None
        data["is_class"] = isinstance(obj, type)
        data["is_module"] = isinstance(obj, type) and issubclass(obj, _Module)
        data["is_function"] = callable(obj) and not isinstance(obj, type)
        data["is_autograd_function"] = isinstance(obj, type) and issubclass(obj, _Function)
        if not data["is_" + self.entry]:
            return
        if self.entry == "function":
            try:
                params = inspect.signature(obj).parameters.values()
                data["signature"] = [
                    [q.name, q.kind.name, q.default is not q.empty] for q in params
                ][:50]
            except (TypeError, ValueError):
                data["signature"] = None
        self.cls = obj
        if "train_step" in [c["name"] for c in self.req.get("checks", [])]:
            return  # called with the judge's model and optimizer, not as a model itself
        model = self.build()
        data["built_type"] = type(model).__qualname__
        data["params"] = [
            [n, list(t.shape), bool(t.requires_grad), str(t.dtype)]
            for n, t in model.named_parameters()
        ][:500]
        data["layers"] = sorted({type(m).__name__ for m in model.modules()})[:100]

    def check_forbidden_api(self, p: dict, fr: _Frames, data: dict) -> None:
        """Forbidden classes among the modules built or called, forbidden functions
        among the calls torch sees: what the syntax tree cannot show (getattr, aliases)."""
        found = set()
        classes = [(n, o) for n, o in self.forbidden.items() if isinstance(o, type)]
        model = self.build().to(self.device).eval()
        _SEEN.clear()
        spy = _CallSpy({id(o): n for n, o in self.forbidden.items()})
        try:
            with spy, _no_grad():
                self.forward(model, *self.args(p["xs"]))
        except BaseException as exc:
            data["error"] = error_info(exc)
        for kind in {type(m) for m in model.modules()} | _SEEN:
            found |= {n for n, o in classes if issubclass(kind, o)}
        data["found"] = sorted(found | spy.found)[:20]

    def check_shapes(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build().to(self.device)
        data.update(eval={}, train={})
        model.eval()
        with _no_grad():
            for b in p["batch_sizes"]:
                data["eval"][str(b)] = fr.put(self.forward(model, *self.args(p["xs"], b)))
            data["repeat"] = fr.put(self.forward(model, *self.args(p["xs"])))
            model.train()
            for b in p["batch_sizes"]:
                if b > 1:
                    data["train"][str(b)] = fr.put(self.forward(model, *self.args(p["xs"], b)))

    def check_device(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build().to(self.device).eval()
        named = [*model.named_parameters(), *model.named_buffers()]
        data["stray"] = [n for n, t in named if not same_device(t.device, self.device)][:20]
        with _no_grad():
            out = self.forward(model, *self.args(p["xs"]))
        data["out"] = fr.put(out)
        data["out_device"] = str(out.device) if type(out) is _Tensor else None
        if self.device.type == "cpu":
            data["meta"] = self._meta_probe(p["xs"])

    def _meta_probe(self, xs: list) -> dict:
        """Runs forward on the meta device: tensors that follow the input stay on meta,
        while a hard-coded device shows up as a mix of meta and real tensors."""
        model = self.build().to("meta").eval()
        spy = _DeviceSpy()
        result: dict = {"violations": spy.violations}
        try:
            with spy, _no_grad():
                out = self.forward(model, *self.args(xs, device="meta"))
            result["out_device"] = str(getattr(out, "device", None))
        except BaseException as exc:
            result["error"] = error_info(exc)
        return result

    def check_gradients(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build()
        data["frozen"] = [n for n, t in model.named_parameters() if not t.requires_grad]
        try:
            run = self._grad_run(model.to(self.device, torch.float64), p, torch.float64)
        except (RuntimeError, TypeError) as exc:  # models that only work in float32
            data["float64_error"] = error_info(exc)
            run = self._grad_run(self.build().to(self.device), p, torch.float32)
        for key, value in run.items():
            if key in ("out", "again"):
                value = None if value is None else fr.put(value)
            elif key == "input_grads":
                value = [None if g is None else fr.put(g) for g in value]
            elif key == "grads":
                value = [[n, None if g is None else fr.put(g)] for n, g in value]
            data[key] = value

    def _grad_run(self, model, p: dict, dtype) -> dict:
        model.eval()
        xs = self.args(p["xs"], dtype=dtype)
        inputs = [(p["names"][i], t) for i, t in enumerate(xs) if i not in self.bools]
        for _, t in inputs:
            t.requires_grad_(True)
        u = p["u"].to(self.device, dtype)
        out = self.forward(model, *xs)
        if type(out) is not _Tensor:
            return {"out": out, "grads": [], "input_grads": []}
        params = [(n, t) for n, t in model.named_parameters() if t.requires_grad]
        groups = [*inputs, *params]
        grads: list = [None] * len(groups)
        if out.requires_grad:
            leaves = [t for _, t in groups]
            grads = list(torch.autograd.grad((out * u).sum(), leaves, allow_unused=True))
        low = out.dtype != torch.float64
        eps = p["eps32"] if low else p["eps"]
        gen = torch.Generator().manual_seed(p["dir_seed"])
        sides, probe = [], None
        with _no_grad():
            again = self.forward(model, *xs)
            for _name, leaf in groups:
                base = leaf.detach().clone()
                for _ in range(p["directions"]):
                    v = torch.randn(leaf.shape, generator=gen, dtype=torch.float64)
                    probe = float(v.flatten()[0]) if probe is None and v.numel() else probe
                    v = v.to(self.device, leaf.dtype)
                    pair = []
                    for sign in (1.0, -1.0):
                        leaf.copy_(base + sign * eps * v)
                        pair.append(float((self.forward(model, *xs) * u).sum()))
                    sides.append(pair)
                leaf.copy_(base)
        return {
            "out": out.detach(),
            "again": again,
            "eps": eps,
            "groups": [[n, list(t.shape)] for n, t in groups],
            "sides": sides,
            "probe": probe,
            "input_grads": grads[: len(inputs)],
            "grads": [(n, g) for (n, _), g in zip(params, grads[len(inputs) :], strict=True)],
        }

    def check_train_eval(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build()
        model.eval()
        data["not_eval"] = [_NAMES.get(id(m), "?") for m in model.modules() if m.training][:20]
        model.train()
        data["not_train"] = [_NAMES.get(id(m), "?") for m in model.modules() if not m.training][:20]

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
                model = self.build()
                rec["keys"] = [[k, list(v.shape)] for k, v in model.state_dict().items()][:200]
                if trial.get("perturb") is not None:
                    perturb_state(model, trial["perturb"])
                    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    rec["state"] = {k: fr.put(v) for k, v in state.items()}
            for run in p["runs"]:
                model = self.build()
                if module:
                    model.load_state_dict(state)
                dtype = getattr(torch, run["dtype"])
                model = model.to(self.device, dtype)
                model.train(run["mode"] == "train")
                with _no_grad():
                    out = self.forward(model, *self.args(trial["xs"], dtype=dtype))
                done = {"out": fr.put(out)}
                if p["buffers"] and module:
                    done["buffers"] = {k: fr.put(v) for k, v in model.named_buffers()}
                rec["runs"].append(done)

    def check_dropout(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build().to(self.device)
        model.train()
        x = p["x"].to(self.device)
        leaf = x.clone().requires_grad_(True)
        out = self.forward(model, leaf)
        data["out"] = fr.put(out)
        if type(out) is _Tensor and out.shape == leaf.shape and out.requires_grad:
            out.backward(p["g"].to(self.device))
            data["grad"] = None if leaf.grad is None else fr.put(leaf.grad)
        with _no_grad():
            data["again"] = fr.put(self.forward(model, x))
        data["input_after"] = fr.put(x)

    def check_train_step(self, p: dict, fr: _Frames, data: dict) -> None:
        model = build_layers(p["layers"]).to(self.device)
        model.load_state_dict(p["state"])
        model.eval()  # the step must switch the model to training mode itself
        opt = make_optimizer(model.parameters(), p["optimizer"])
        for t, g in zip(model.parameters(), p["stale"], strict=True):
            t.grad = g.to(self.device).clone()  # a correct step discards these
        loss_fn = _LOSSES[p["loss"]]()
        data["steps"] = []
        for x, y in zip(p["xs"], p["ys"], strict=True):
            rec: dict = {}
            data["steps"].append(rec)
            got = self.cls(model, opt, loss_fn, x.to(self.device), y.to(self.device), p["max_norm"])
            rec["returned"] = got if type(got) is float else fr.put(got)
            rec["state"] = {k: fr.put(v.detach().clone()) for k, v in model.state_dict().items()}

    def check_learning(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build().to(self.device)
        x, y = p["x"].to(self.device), p["y"].to(self.device)
        opt = make_optimizer(model.parameters(), p["optimizer"])
        loss_fn = _cross_entropy if p["loss"] == "cross_entropy" else _mse
        data["losses"] = []
        with _no_grad():
            data["before"] = fr.put(self.forward(model.eval(), x))
        model.train()
        for step in range(p["steps"]):
            data["step"] = step
            opt.zero_grad()
            loss = loss_fn(self.forward(model, x), y)
            loss.backward()
            opt.step()
            data["losses"].append(float(loss.detach()))
        with _no_grad():
            data["after"] = fr.put(self.forward(model.eval(), x))


class _CallSpy(TorchFunctionMode):
    """Notes calls of the forbidden functions, by identity."""

    def __init__(self, targets: dict) -> None:
        super().__init__()
        self.targets, self.found = targets, set[str]()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if id(func) in self.targets:
            self.found.add(self.targets[id(func)])
        return func(*args, **(kwargs or {}))


class _DeviceSpy(TorchFunctionMode):
    """Notes calls that mix meta tensors with real non-scalar ones, or move a meta
    tensor to another device: both mean a device was hard-coded in forward."""

    MOVES = frozenset({"cpu", "cuda", "to", "numpy"})

    def __init__(self) -> None:
        super().__init__()
        self.violations: list = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        flat = [*args, *kwargs.values()]
        flat += [t for a in flat if isinstance(a, (list, tuple)) for t in a]
        tensors = [a for a in flat if isinstance(a, _Tensor)]
        meta = any(t.device.type == "meta" for t in tensors)
        real = [t for t in tensors if t.device.type != "meta" and t.dim() > 0]
        name = getattr(func, "__name__", str(func))
        if meta and real and len(self.violations) < 5:
            self._note(name, f"a {real[0].device.type} tensor of shape {list(real[0].shape)}")
        try:
            return func(*args, **kwargs)
        except Exception:
            if meta and name in self.MOVES and len(self.violations) < 5:
                self._note(name, "a tensor moved off the model's device")
            raise

    def _note(self, name: str, what: str) -> None:
        stack = _frames(traceback.extract_stack())
        self.violations.append({"call": name, "what": what, "frames": stack[-3:]})


# --- the loop -----------------------------------------------------------------------


def same_device(a: torch.device, b: torch.device) -> bool:
    """Whether `a` and `b` name the same place: "cuda" (no index) is whichever GPU is
    current, so it matches "cuda:0" there, as `.to("cuda")` puts tensors on it."""
    return a.type == b.type and (a.index is None or b.index is None or a.index == b.index)


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


def _send(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[_write(fd, view) :]


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


def serve(in_fd: int, out_fd: int) -> int:
    """Read one request from `in_fd`, run its checks, write frames to `out_fd`.
    Returns an exit code. Call it in a fresh process that exits afterwards."""
    _limit_address_space()
    reply = os.dup(out_fd)  # private and non-inheritable; fd 1 becomes output
    sys.stdout.flush()
    os.dup2(2, 1)
    request = read_request(in_fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    torch.set_num_threads(int(request.get("threads", 1)))
    if request.get("device") == "cuda":  # full float32 precision: the judge compares at 1e-4
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    nonce, seq = request["nonce"], 0

    def send(kind: str, header: dict, tensors: list) -> None:
        nonlocal seq
        _send(reply, encode({"nonce": nonce, "seq": seq, "kind": kind, **header}, tensors))
        seq += 1

    hello = {"python": sys.version.split()[0], "torch": torch.__version__}
    send("hello", hello, [])
    torch.nn.modules.module.register_module_forward_pre_hook(_pre_hook)
    torch.nn.modules.module.register_module_forward_hook(_post_hook)
    job = Job(request)
    keep = sys.stdout, sys.stderr
    for check in request["checks"]:
        frames, capture = _Frames(), _Capture(int(request.get("capture_chars", 500)))
        header: dict = {"name": check["name"], "data": {}}
        started = time.perf_counter()
        sys.stdout = sys.stderr = capture
        try:
            getattr(job, "check_" + check["name"])(check, frames, header["data"])
        except BaseException as exc:
            header["error"] = error_info(exc)
        finally:
            sys.stdout, sys.stderr = keep
        header["elapsed_s"] = time.perf_counter() - started
        header["output"] = capture.text()
        try:
            send("check", header, frames.tensors)
        except Exception as exc:
            send("check", {"name": check["name"], "data": {}, "error": error_info(exc)}, [])
        if job.cls is None:  # nothing to check without the class
            break
    send("end", {}, [])
    return 0


def main() -> None:
    code = serve(0, 1)
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()

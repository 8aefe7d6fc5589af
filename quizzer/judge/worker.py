"""The judge's worker: runs ONE untrusted submission's checks and reports raw facts.

Standalone on purpose: it imports only the standard library and torch, never quizzer,
because the sandbox binds this one file and runs it as `python -I worker.py`.
Nothing it sends is trusted; `quizzer.judge.verdicts` decodes it and decides.

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


def _pre_hook(module, args):
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


class Job:
    """One request: the submission's namespace, its class, and the checks to run."""

    def __init__(self, request: dict) -> None:
        self.req = request
        self.device = torch.device(request["device"])
        self.cls: type | None = None

    def build(self):
        """A fresh instance with the judge's seed: every check starts from the same model."""
        torch.manual_seed(self.req["seed"])
        assert self.cls is not None
        model = self.cls()
        _NAMES.clear()
        if isinstance(model, _Module):
            _name_modules(model)
        return model

    def forward(self, model, x):
        _STACK.clear()
        out = model(x)
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
            for var, obj in list(vars(mod).items()):
                if isinstance(obj, _Module) and not isinstance(obj, type):
                    _name_modules(obj, var)
        classes = [k for k, v in vars(mod).items() if isinstance(v, type)]
        modules = [k for k in classes if issubclass(vars(mod)[k], _Module)]
        data.update(classes=classes[:50], module_classes=modules[:50])
        cls = vars(mod).get(self.req["class_name"])
        data["found"] = cls is not None
        data["is_class"] = isinstance(cls, type)
        data["is_module"] = isinstance(cls, type) and issubclass(cls, _Module)
        if not data["is_module"]:
            return
        self.cls = cls
        model = self.build()
        data["built_type"] = type(model).__qualname__
        data["params"] = [
            [n, list(t.shape), bool(t.requires_grad), str(t.dtype)]
            for n, t in model.named_parameters()
        ][:500]
        data["layers"] = sorted({type(m).__name__ for m in model.modules()})[:100]

    def check_shapes(self, p: dict, fr: _Frames, data: dict) -> None:
        model, x = self.build().to(self.device), p["x"].to(self.device)
        data.update(eval={}, train={})
        model.eval()
        with _no_grad():
            for b in p["batch_sizes"]:
                data["eval"][str(b)] = fr.put(self.forward(model, x[:b]))
            data["repeat"] = fr.put(self.forward(model, x))
            model.train()
            for b in p["batch_sizes"]:
                if b > 1:
                    data["train"][str(b)] = fr.put(self.forward(model, x[:b]))

    def check_device(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build().to(self.device).eval()
        named = [*model.named_parameters(), *model.named_buffers()]
        data["stray"] = [n for n, t in named if t.device != self.device][:20]
        with _no_grad():
            out = self.forward(model, p["x"].to(self.device))
        data["out"] = fr.put(out)
        data["out_device"] = str(out.device) if type(out) is _Tensor else None
        if self.device.type == "cpu":
            data["meta"] = self._meta_probe(p["x"])

    def _meta_probe(self, x) -> dict:
        """Runs forward on the meta device: tensors that follow the input stay on meta,
        while a hard-coded device shows up as a mix of meta and real tensors."""
        model = self.build().to("meta").eval()
        spy = _DeviceSpy()
        result: dict = {"violations": spy.violations}
        try:
            with spy, _no_grad():
                out = self.forward(model, x.to("meta"))
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
            if key in ("out", "again", "input_grad"):
                value = None if value is None else fr.put(value)
            elif key == "grads":
                value = [[n, None if g is None else fr.put(g)] for n, g in value]
            data[key] = value

    def _grad_run(self, model, p: dict, dtype) -> dict:
        model.eval()
        x = p["x"].to(self.device, dtype).requires_grad_(True)
        u = p["u"].to(self.device, dtype)
        out = self.forward(model, x)
        if type(out) is not _Tensor:
            return {"out": out, "grads": []}
        params = [(n, t) for n, t in model.named_parameters() if t.requires_grad]
        leaves = [x] + [t for _, t in params]
        grads: list = [None] * len(leaves)
        if out.requires_grad:
            grads = list(torch.autograd.grad((out * u).sum(), leaves, allow_unused=True))
        low = out.dtype != torch.float64
        eps = p["eps32"] if low else p["eps"]
        gen = torch.Generator().manual_seed(p["dir_seed"])
        groups = [("input", x), *params]
        sides, probe = [], None
        with _no_grad():
            again = self.forward(model, x)
            for _name, leaf in groups:
                base = leaf.detach().clone()
                for _ in range(p["directions"]):
                    v = torch.randn(leaf.shape, generator=gen, dtype=torch.float64)
                    probe = float(v.flatten()[0]) if probe is None and v.numel() else probe
                    v = v.to(self.device, leaf.dtype)
                    pair = []
                    for sign in (1.0, -1.0):
                        leaf.copy_(base + sign * eps * v)
                        pair.append(float((self.forward(model, x) * u).sum()))
                    sides.append(pair)
                leaf.copy_(base)
        return {
            "out": out.detach(),
            "again": again,
            "eps": eps,
            "groups": [[n, list(t.shape)] for n, t in groups],
            "sides": sides,
            "probe": probe,
            "input_grad": grads[0],
            "grads": [(n, g) for (n, _), g in zip(params, grads[1:], strict=True)],
        }

    def check_train_eval(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build()
        model.eval()
        data["not_eval"] = [_NAMES.get(id(m), "?") for m in model.modules() if m.training][:20]
        model.train()
        data["not_train"] = [_NAMES.get(id(m), "?") for m in model.modules() if not m.training][:20]

    def check_learning(self, p: dict, fr: _Frames, data: dict) -> None:
        model = self.build().to(self.device)
        x, y = p["x"].to(self.device), p["y"].to(self.device)
        opt_spec = p["optimizer"]
        kwargs = {"lr": opt_spec["lr"]}
        if opt_spec["name"] == "sgd":
            kwargs["momentum"] = opt_spec["momentum"]
        opt = _OPTIMIZERS[opt_spec["name"]](model.parameters(), **kwargs)
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


def warm_up() -> None:
    """Pays torch's one-time lazy costs (meta kernels, first autograd call) so that
    forked children do not. A warm parent calls it once after importing this module."""
    with _no_grad():
        torch.nn.Linear(2, 2).to("meta")(torch.empty(1, 2, device="meta"))
    x = torch.ones(2, requires_grad=True)
    (x * x).sum().backward()


def _send(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        view = view[_write(fd, view) :]


def serve(in_fd: int, out_fd: int) -> int:
    """Read one request from `in_fd`, run its checks, write frames to `out_fd`.
    Returns an exit code. Call it in a fresh process that exits afterwards."""
    reply = os.dup(out_fd)  # private and non-inheritable; fd 1 becomes output
    sys.stdout.flush()
    os.dup2(2, 1)
    request = read_request(in_fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    torch.set_num_threads(int(request.get("threads", 1)))
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

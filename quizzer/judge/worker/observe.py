"""What the submission did, seen from inside the model host: which module's forward
is running (for error messages that name the layer), a plain description of an
exception (`error_info`), what it printed (`_Capture`), which forbidden APIs it
called (`_CallSpy`) and whether it mixed devices on the meta device (`_DeviceSpy`).
Standalone: stdlib and torch.
"""

from __future__ import annotations

import io
import traceback

import torch
from torch.overrides import TorchFunctionMode

SUB = "submission.py"
_Tensor = torch.Tensor


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
    """What the submission prints during one request, head kept, the rest counted."""

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
        self.mode = "eval"

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        flat = [*args, *kwargs.values()]
        flat += [t for a in flat if isinstance(a, (list, tuple)) for t in a]
        tensors = [a for a in flat if isinstance(a, _Tensor)]
        meta = any(t.device.type == "meta" for t in tensors)
        real = [t for t in tensors if t.device.type != "meta" and t.dim() > 0]
        name = getattr(func, "__name__", str(func))
        if meta and real and len(self.violations) < 5:
            what = f"a {real[0].device.type} tensor of shape {list(real[0].shape)}"
            self._note(name, what, parameter=isinstance(real[0], torch.nn.Parameter))
        try:
            return func(*args, **kwargs)
        except Exception:
            if meta and name in self.MOVES and len(self.violations) < 5:
                self._note(name, "a tensor moved off the model's device")
            raise

    def _note(self, name: str, what: str, parameter: bool = False) -> None:
        stack = _frames(traceback.extract_stack())
        self.violations.append(
            {"call": name, "what": what, "parameter": parameter, "mode": self.mode,
             "frames": stack[-3:]}
        )  # fmt: skip

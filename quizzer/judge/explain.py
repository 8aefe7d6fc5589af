"""Messages for what went wrong inside a submission, from the worker's error facts.

Called by the checks in `quizzer.judge.verdicts`. The worker reports an exception as
plain data: its type and text, the frames that lie in submission.py (never the judge's
own), and the layer that was running. This module turns that into a short message:
the reason first, then the submission's own traceback lines, then a hint that explains
common shape mistakes (e.g. a Linear layer that expects 21632 features but gets 32).
Everything it reads is untrusted, so it only formats and caps text. No torch.

`submission.py` is the worker's name for every file (it tells the submission's frames
from the judge's own by it, and never learns the real path); `name_file`, called by
`quizzer.judge.runner` on the trusted side, puts the file the user gave in its place.
"""

from __future__ import annotations

import re
from typing import Any

from quizzer.escaping import no_surrogates, term

MAX_MESSAGE = 2000
#: What the worker compiles every submission as, and what messages say until
#: `name_file` names the real file.
FILE = "submission.py"
_FILE = re.compile(r"(?<![\w./\\-])submission\.py(?!\w)")

_MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")
_CHANNELS = re.compile(
    r"expected input\[([\d, ]+)\] to have (\d+) channels, but got (\d+) channels"
)


def cap(text: str, limit: int = MAX_MESSAGE) -> str:
    text = "".join(c for c in str(text) if c.isprintable() or c in "\n\t")
    return (
        text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more characters)"
    )


def _s(value: Any, limit: int = 300) -> str:
    return cap(value if isinstance(value, str) else repr(value), limit)


def _shape(shape: Any) -> str:
    if isinstance(shape, list) and all(isinstance(d, int) for d in shape):
        return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    return _s(shape, 60)


def name_file(message: str, shown: str) -> str:
    """`message` with the worker's name for the file (`FILE`) replaced by `shown`, the
    path the user gave (`submissions/simple_nn.py:12 in forward: ...`). `shown` is
    made one printable line first, so that a file name cannot forge message lines."""
    if shown == FILE or FILE not in message:
        return message
    name = term(no_surrogates(shown))
    return _FILE.sub(lambda _: name, message)


def traceback_lines(error: dict[str, Any]) -> list[str]:
    lines = []
    frames = error.get("frames")
    for frame in frames if isinstance(frames, list) else []:
        if isinstance(frame, list) and len(frame) == 3:
            lineno, func, text = frame
            lines.append(f"  {FILE}:{_s(lineno, 10)} in {_s(func, 60)}: {_s(text, 200)}")
    return lines


def syntax_error(error: dict[str, Any]) -> str:
    """`submission.py:3:9: SyntaxError: invalid syntax`, the line and a caret."""
    line, col = error.get("lineno"), error.get("offset")
    where = f"{FILE}:{_s(line, 10)}" + (f":{_s(col, 10)}" if isinstance(col, int) else "")
    text = _s(error.get("text") or "", 300)
    out = [f"{where}: {_s(error.get('type'), 40)}: {_s(error.get('message'), 300)}"]
    if text.strip():
        stripped = text.lstrip()
        out.append("    " + stripped.rstrip())
        if isinstance(col, int) and col >= 1:
            caret = max(0, col - 1 - (len(text) - len(stripped)))
            out.append("    " + " " * caret + "^")
    return "\n".join(out)


def layer_hint(error: dict[str, Any]) -> str | None:
    """Why a layer rejected its input, when the worker saw which layer was running."""
    module = error.get("module")
    if not isinstance(module, dict):
        return None
    name, kind = _s(module.get("name"), 80), _s(module.get("type"), 40)
    shapes = module.get("input_shapes")
    first = shapes[0] if isinstance(shapes, list) and shapes else None
    got = _shape(first) if first is not None else "?"
    if kind == "_Call":  # a function entry: no layer to name, only what it was given
        listed = ", ".join(_shape(s) for s in shapes) if isinstance(shapes, list) else "?"
        return f"the function was called with inputs of shapes {listed}"
    message = _s(error.get("message"), 2000)
    in_features = module.get("in_features")
    matmul = _MATMUL.search(message)
    if isinstance(in_features, int) and (matmul or kind == "Linear"):
        received = first[-1] if isinstance(first, list) and first else None
        if matmul:
            received = int(matmul.group(2))
        if received is not None and received != in_features:
            return (
                f"{name} ({_s(module.get('repr'), 120)}) expects {in_features} input features "
                f"but receives {received} (its input has shape {got}); make its in_features "
                f"match what the layer before it produces, or reshape before it"
            )
    in_channels = module.get("in_channels")
    channels = _CHANNELS.search(message)
    if isinstance(in_channels, int) and channels:
        return (
            f"{name} ({_s(module.get('repr'), 120)}) expects {in_channels} input channels "
            f"but receives {channels.group(3)} (input shape {got})"
        )
    return f"the error was raised in {name} ({_s(module.get('repr'), 120)}) with input shape {got}"


def cuda_hint(error: dict[str, Any]) -> str | None:
    message = str(error.get("message"))
    if "CUDA" in message and any(w in message for w in ("not compiled", "No CUDA", "no NVIDIA")):
        return (
            "the code hard-codes CUDA, which this machine lacks: let the caller pick the "
            "device (model.to(device)) and follow x.device inside forward"
        )
    return None


def memory_hint(error: dict[str, Any]) -> str | None:
    if error.get("type") != "MemoryError":
        return None
    return (
        "an allocation was refused: the run went over its memory limit (the task's "
        "limits.memory_mb); look for tensors or lists that grow without bound"
    )


def exception(error: Any, doing: str) -> str:
    """`doing` raised TYPE: text, then the submission's frames, then a layer hint."""
    if not isinstance(error, dict):
        return f"{doing} failed (the worker's report is unreadable)"
    if error.get("type") == "SystemExit":
        return f"{doing}: {_s(error.get('message'), 200)}; a solution must not exit"
    lines = [f"{doing} raised {_s(error.get('type'), 60)}: {_s(error.get('message'), 600)}"]
    lines += traceback_lines(error)
    hint = layer_hint(error) or cuda_hint(error) or memory_hint(error)
    if hint:
        lines.append(hint)
    return cap("\n".join(lines))

"""What the judge checks in a submission's source without running it.

Called by `quizzer.judge.runner` before the sandbox starts: the file must be UTF-8
text of reasonable size (else the load check fails here), and, where a task lists
`forbidden_apis`, the `forbidden_api` check looks for them in the syntax tree,
following import aliases (`import torch.nn as nn; nn.Linear` is `torch.nn.Linear`),
and for what would turn off or detect its run-time probe (a `TorchFunctionMode` in the
model host): `probe_dodges`. Parsing never executes the submission. No torch.
"""

from __future__ import annotations

import ast

MAX_SOURCE_BYTES = 1 << 20


class SourceRejected(Exception):
    """The file cannot be a submission; the message says why."""


def decode_source(raw: bytes) -> str:
    if len(raw) > MAX_SOURCE_BYTES:
        raise SourceRejected(
            f"submission.py is {len(raw)} bytes; the limit is {MAX_SOURCE_BYTES} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceRejected(
            f"submission.py is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start} (line {line}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise SourceRejected("submission.py contains a NUL byte; it must be plain text")
    return text.removeprefix("\ufeff")


def precheck(source: str, name: str, function: bool) -> None:
    """The failures that need no worker, found in milliseconds: a syntax error (with
    its line and a caret) and an entry `name` that the source never mentions (so it
    cannot define it). Raises `SourceRejected` with the load check's message; a file
    that passes may still fail in the worker."""
    from quizzer.judge.explain import syntax_error

    try:
        tree = ast.parse(source, filename="submission.py")
    except SyntaxError as exc:
        raise SourceRejected(
            syntax_error(
                {
                    "type": type(exc).__name__,
                    "message": exc.msg,
                    "lineno": exc.lineno,
                    "offset": exc.offset,
                    "text": (exc.text or "").rstrip("\n"),
                }
            )
        ) from None
    except (ValueError, RecursionError, MemoryError):
        return  # the worker's import reports it in its own words
    if name in source:
        return
    kind, plural = ("function", "functions") if function else ("class", "classes")
    wanted = ast.FunctionDef if function else ast.ClassDef
    names = [n.name for n in tree.body if isinstance(n, wanted)]
    found = ", ".join(names[:20]) if names else "none"
    raise SourceRejected(
        f"submission.py defines no {name}; {plural} found: {found}. Name your {kind} {name}."
    )


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def forbidden_uses(source: str, forbidden: tuple[str, ...]) -> list[tuple[str, int]]:
    """(name, line) for each use of a forbidden dotted name. Raises SyntaxError (and
    RecursionError for absurd nesting) like `ast.parse`."""
    tree = ast.parse(source, filename="submission.py")
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    hits: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            name = _dotted(node, aliases)
            if name and any(name == f or name.startswith(f + ".") for f in forbidden):
                hits.append((name, getattr(node, "lineno", 0)))
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if any(full == f or full.startswith(f + ".") for f in forbidden):
                    hits.append((full, node.lineno))
    unique = sorted(set(hits), key=lambda h: (h[1], h[0]))
    # an attribute chain also yields its inner names: keep the longest per line
    return [
        h for h in unique if not any(o[1] == h[1] and o[0].startswith(h[0] + ".") for o in unique)
    ]


#: What turns off, inspects or pops torch-function modes: with them a model can hide a
#: forbidden call from the run-time probe, or notice the probe and behave.
PROBE_DODGES = (
    "torch._C.DisableTorchFunction",
    "torch._C.DisableTorchFunctionSubclass",
    "torch._C._disabled_torch_function_impl",
    "torch._C._is_torch_function_mode_enabled",
    "torch._C._len_torch_function_stack",
    "torch._C._get_function_stack_at",
    "torch._C._pop_torch_function_stack",
    "torch._C._push_on_torch_function_stack",
    "torch.overrides._get_current_function_mode",
    "torch.overrides._get_current_function_mode_stack",
    "torch.overrides._pop_mode",
    "torch.overrides._pop_mode_temporarily",
    "torch.utils._python_dispatch",
)
#: The same names as text, for `getattr(torch._C, "Disable" + "TorchFunction")`-style
#: lookups that the syntax tree shows only as strings.
_DODGE_WORDS = ("DisableTorchFunction", "torch_function_mode", "torch_function_stack",
                "function_mode", "_pop_mode", "_python_dispatch")  # fmt: skip


def probe_dodges(source: str) -> list[tuple[str, int]]:
    """(what, line) for each use of a name in `PROBE_DODGES`, or a string that spells
    part of one. Raises SyntaxError like `ast.parse`."""
    hits = forbidden_uses(source, PROBE_DODGES)
    for node in ast.walk(ast.parse(source, filename="submission.py")):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            word = next((w for w in _DODGE_WORDS if w in node.value), None)
            if word:
                hits.append((f"the string {node.value[:40]!r}", node.lineno))
    return sorted(set(hits), key=lambda h: (h[1], h[0]))

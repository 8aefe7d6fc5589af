"""Read one YAML file into plain data plus the line:column of every key and value.

Called by `quizzer.bank.loader` for each bank file. The file is untrusted text: it is
capped in size, must be UTF-8, may hold one document of plain mappings, lists and
scalars, and may not use anchors, aliases or custom tags (no "billion laughs", no
object construction). The tree is built from the parser's events without recursion,
so deep nesting is a clean error, not a crash. Every failure is a `YamlReadError`
with a 1-based position and a message that says how to fix the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Larger bank files are refused; split them instead.
MAX_BYTES = 1 << 20
#: Deeper nesting than any question needs is refused.
MAX_DEPTH = 32

DataPath = tuple[str | int, ...]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + name for name in ("str", "int", "float", "bool", "null")}
_SEQ_TAGS = {None, "!", _STD + "seq"}
_MAP_TAGS = {None, "!", _STD + "map"}
#: What YAML counts as a line break.
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_KIND: dict[type, str] = {dict: "a mapping", list: "a list"}


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


class YamlReadError(Exception):
    """The file cannot be read as bank YAML; `message` says why and how to fix it."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Document:
    """Plain data (dicts, lists, str, int, float, bool, None) and where each part was.

    `values[path]` is where the value at `path` starts; `keys[path]` is where the key
    that holds it starts (only for mapping entries)."""

    data: Any
    values: Mapping[DataPath, Pos]
    keys: Mapping[DataPath, Pos]
    #: The source text of every unquoted scalar value, before YAML typed it (`True`
    #: where `data` holds the bool), and of every flow collection (`[2, 5, 3]`).
    plain: Mapping[DataPath, str] = field(default_factory=dict)

    def value_pos(self, path: DataPath) -> Pos:
        """Where the value at `path`, or its nearest ancestor that exists, starts."""
        for end in range(len(path), -1, -1):
            pos = self.values.get(path[:end])
            if pos is not None:
                return pos
        return Pos(1, 1)

    def key_pos(self, path: DataPath) -> Pos:
        """Where the key of the entry at `path` starts, else where its value does."""
        return self.keys.get(path) or self.value_pos(path)


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The file's text. Refuses non-regular files, files over `max_bytes`, and bytes
    that are not UTF-8 (naming the offset, line and column of the first bad byte)."""
    try:
        if not path.is_file():
            raise YamlReadError("not a regular file; bank files are plain .yaml files")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise YamlReadError(f"cannot read the file: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise YamlReadError(
            f"the file is larger than {max_bytes // 1024} KiB; split it into several files"
        )
    return decode(data)


def decode(data: bytes) -> str:
    """UTF-8 text (a leading BOM is dropped), or a `YamlReadError` at the bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlReadError("the file is UTF-16; save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        raise YamlReadError(
            f"not UTF-8: byte 0x{data[start]:02x} at offset {start} cannot be decoded; "
            "save the file as UTF-8",
            line,
            column,
        ) from exc


def parse(text: str, max_depth: int = MAX_DEPTH) -> Document:
    """Parse one YAML document from `text` into a `Document`."""
    loader = _Loader(text)
    try:
        return _Builder(loader, text, max_depth).build()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text) from exc
    except yaml.YAMLError as exc:
        raise _reader_error(exc, text) from exc
    finally:
        loader.dispose()


def load(path: Path, max_bytes: int = MAX_BYTES) -> Document:
    """Read and parse one file."""
    return parse(read_text(path, max_bytes))


_HINTS = (
    ("tab", "indent with spaces, not tabs"),
    ("mapping values are not allowed", "put the value in quotes when it contains ': '"),
    ("could not find expected ':'", "check the indentation and that each key ends with ':'"),
    ("expected <block end>", "check the indentation of this line against the lines above"),
    ("did not find expected", "check the brackets, quotes and indentation"),
    ("found unknown escape character", "use single quotes, or double the backslash"),
)


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> YamlReadError:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or exc.context or "cannot be parsed").strip()
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.context_mark is not None and exc.problem:
        cm = exc.context_mark
        message += f" ({exc.context} started at line {cm.line + 1}, column {cm.column + 1})"
    at_tab = mark is not None and text[mark.index : mark.index + 1] == "\t"
    hint = "indent with spaces, not tabs" if at_tab else None
    hint = hint or next((h for key, h in _HINTS if key in problem), None)
    if hint:
        message += f"; {hint}"
    if mark is None:
        return YamlReadError(message)
    return YamlReadError(message, *_clamp(text, mark.line + 1, mark.column + 1))


def _clamp(text: str, line: int, column: int) -> tuple[int, int]:
    """Keep a position inside the text: the parser may point one past its end."""
    lines = _BREAKS.split(text)
    if line > len(lines):
        line, column = len(lines), len(lines[-1]) + 1
    return line, min(column, len(lines[line - 1]) + 1)


def _reader_error(exc: yaml.YAMLError, text: str) -> YamlReadError:
    position = getattr(exc, "position", None)
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    message = f"unreadable character: {reason}; remove it or write it as an escape in quotes"
    if not isinstance(position, int) or position < 0:
        return YamlReadError(message)
    position = min(position, len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return YamlReadError(message, line, column)


def _pos(event: Any) -> Pos:
    return Pos(event.start_mark.line + 1, event.start_mark.column + 1)


class _Frame:
    __slots__ = ("container", "flow_start", "key", "key_pos", "path")

    def __init__(
        self, container: dict[str, Any] | list[Any], path: DataPath, flow_start: int | None
    ) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None
        self.key_pos: Pos | None = None
        #: Where a flow collection (`[a, b]`, `{a: 1}`) starts in the text.
        self.flow_start = flow_start


class _Builder:
    """Turns the event stream into plain data without recursion."""

    def __init__(self, loader: Any, text: str, max_depth: int) -> None:
        self.loader = loader
        self.text = text
        self.max_depth = max_depth
        self.values: dict[DataPath, Pos] = {}
        self.keys: dict[DataPath, Pos] = {}
        self.plain: dict[DataPath, str] = {}

    def build(self) -> Document:
        get = self.loader.get_event
        get()  # stream start
        if self.loader.check_event(yaml.StreamEndEvent):
            raise YamlReadError("the file is empty; a bank file starts with 'questions:'")
        get()  # document start
        data = self._node_tree()
        get()  # document end
        if not self.loader.check_event(yaml.StreamEndEvent):
            event = self.loader.peek_event()
            raise YamlReadError(
                "more than one YAML document ('---'); keep one document per file",
                *_astuple(_pos(event)),
            )
        return Document(data, self.values, self.keys, self.plain)

    def _node_tree(self) -> Any:
        stack: list[_Frame] = []
        while True:
            event = self.loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise YamlReadError(
                    f"YAML alias '*{event.anchor}' is not allowed; write the value out in full",
                    *_astuple(_pos(event)),
                )
            if getattr(event, "anchor", None):
                raise YamlReadError(
                    f"YAML anchor '&{event.anchor}' is not allowed; write the value out in full",
                    *_astuple(_pos(event)),
                )
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                frame = stack.pop()
                if isinstance(frame.container, dict) and frame.key is not None:
                    raise YamlReadError("a key has no value", *_astuple(_pos(event)))
                value: Any = frame.container
                path = frame.path
                end = event.end_mark
                if frame.flow_start is not None and end is not None:
                    self.plain[path] = self.text[frame.flow_start : end.index]
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                is_map = isinstance(event, yaml.MappingStartEvent)
                allowed = _MAP_TAGS if is_map else _SEQ_TAGS
                if event.tag not in allowed:
                    raise _tag_error(event)
                if len(stack) >= self.max_depth:
                    raise YamlReadError(
                        f"nested more than {self.max_depth} levels deep; "
                        "bank files need only a few levels",
                        *_astuple(_pos(event)),
                    )
                path = self._child_path(stack, event, "a mapping" if is_map else "a list")
                self.values[path] = _pos(event)
                start = event.start_mark
                flow = start.index if event.flow_style and start is not None else None
                stack.append(_Frame({} if is_map else [], path, flow))
                continue
            elif isinstance(event, yaml.ScalarEvent):
                value = self._scalar(event)
                if stack and isinstance(stack[-1].container, dict) and stack[-1].key is None:
                    self._set_key(stack[-1], value, event)
                    continue
                path = self._child_path(stack, event, "")
                self.values[path] = _pos(event)
                if not event.style:  # None from the Python parser, '' from the C one
                    self.plain[path] = event.value
            else:  # pragma: no cover - the parser emits nothing else inside a document
                raise YamlReadError(f"unexpected YAML event {type(event).__name__}")
            if not stack:
                return value
            parent = stack[-1]
            if isinstance(parent.container, list):
                parent.container.append(value)
            else:
                assert parent.key is not None
                parent.container[parent.key] = value
                parent.key = None

    def _child_path(self, stack: list[_Frame], event: Any, kind: str) -> DataPath:
        if not stack:
            return ()
        parent = stack[-1]
        if isinstance(parent.container, list):
            return (*parent.path, len(parent.container))
        if parent.key is None:
            raise YamlReadError(f"a key must be plain text, not {kind}", *_astuple(_pos(event)))
        return (*parent.path, parent.key)

    def _set_key(self, frame: _Frame, key: Any, event: Any) -> None:
        pos = _pos(event)
        if not isinstance(key, str):
            raise YamlReadError(
                f"key {event.value!r} is read as {type(key).__name__}; keys must be text, "
                "so put it in quotes",
                *_astuple(pos),
            )
        assert isinstance(frame.container, dict)
        if key in frame.container:
            first = self.keys[(*frame.path, key)]
            raise YamlReadError(
                f"duplicate key '{key}' (first at line {first.line}, column {first.column}); "
                "remove one of them",
                *_astuple(pos),
            )
        frame.key = key
        frame.key_pos = pos
        self.keys[(*frame.path, key)] = pos

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            if tag == _STD + "timestamp":
                return event.value
        if tag not in _SCALAR_TAGS:
            raise _tag_error(event, tag)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            reason = str(exc).split(";")[0]
            raise YamlReadError(
                f"cannot read the value {event.value[:40]!r}: {reason}; put it in quotes",
                *_astuple(_pos(event)),
            ) from exc


def _tag_error(event: Any, resolved: str | None = None) -> YamlReadError:
    """`resolved` is the tag a plain scalar was read as (`<<` is a merge key)."""
    if resolved == _STD + "merge":
        return YamlReadError(
            "YAML merge key '<<' is not allowed; write the keys out in full, or put '<<' in quotes",
            *_astuple(_pos(event)),
        )
    tag = str(event.tag if resolved is None else resolved).replace(_STD, "!!")
    return YamlReadError(
        f"YAML tag '{tag}' is not allowed; write plain text, numbers, lists and mappings",
        *_astuple(_pos(event)),
    )


def _astuple(pos: Pos) -> tuple[int, int]:
    return (pos.line, pos.column)


def describe(value: Any) -> str:
    """How a value read from YAML is named in messages: 'a list', 'the number 3'."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "an empty value"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {short!r}"
    kind = _KIND.get(type(value))
    return kind if kind is not None else type(value).__name__

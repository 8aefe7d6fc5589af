"""Read a plainly well-formed bank file quickly, or say that it needs the careful reader.

Called by `quizzer.bank.loader.load_bank` before `quizzer.bank.yamlread`, the careful
reader, which records the line:column of every key and value so that any problem can
be named exactly. A bank that loads has no problems, so nearly all of that bookkeeping
goes unused: this reader builds the same plain data from libyaml's event stream and
keeps only where each entry of the top-level `questions:` list starts (for
`Bank.location`).

It accepts strictly less than the careful reader and never reports a problem itself.
Wherever the careful reader would refuse the text or treat it specially (anchors,
aliases, any explicit tag, merge keys, duplicate or non-text keys, a key without a
value, nesting deeper than `MAX_DEPTH`, not exactly one document, a value that cannot
be built, a syntax or character error), `parse` returns None and the caller reads the
file carefully, which either loads it or gives the positioned message. Size and UTF-8
are checked by the same `read_text` in both readers. Like the careful reader it builds
the tree without recursion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from quizzer.bank.yamlread import MAX_BYTES, MAX_DEPTH, DataPath, Document, Pos, read_text

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"
_STR = _STD + "str"
_TIMESTAMP = _STD + "timestamp"
#: Tags a plain scalar may resolve to, besides str and timestamp (the careful reader
#: keeps timestamps as text and refuses every other tag, such as merge `<<`).
_BUILT = {_STD + name for name in ("int", "float", "bool", "null")}

_MAP_START = yaml.MappingStartEvent
_SEQ_START = yaml.SequenceStartEvent
_SCALAR = yaml.ScalarEvent
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NO_KEY: Any = object()


class _Careful(Exception):
    """The file needs the careful reader."""


def load(path: Path, max_bytes: int = MAX_BYTES) -> Document | None:
    """Read one file; None when it needs the careful reader. Raises `YamlReadError`
    for what `read_text` refuses (not a file, too large, not UTF-8)."""
    return parse(read_text(path, max_bytes))


def parse(text: str, max_depth: int = MAX_DEPTH) -> Document | None:
    """The same data as `yamlread.parse(text).data`, with the position of each entry
    of the top-level `questions:` list only; None when the careful reader is needed."""
    loader = _Loader(text)
    try:
        return _build(loader, max_depth)
    except (_Careful, yaml.YAMLError, ValueError, OverflowError):
        return None
    finally:
        loader.dispose()


def _build(loader: Any, max_depth: int) -> Document:
    get = loader.get_event
    if not isinstance(get(), yaml.StreamStartEvent):
        raise _Careful
    if not isinstance(get(), yaml.DocumentStartEvent):
        raise _Careful  # an empty file
    scalar = _ScalarBuilder(loader)
    items: list[Any] | None = None  # the `questions:` list, once it has started
    item_pos: dict[DataPath, Pos] = {}
    # The open collections above the current one, as (container, pending key).
    stack: list[tuple[Any, Any]] = []
    container: Any = None  # dict or list being filled; None at the top
    key: Any = _NO_KEY  # the key read for the value that comes next (dicts only)
    while True:
        event = get()
        kind = type(event)
        if kind is _SCALAR:
            if event.anchor is not None or event.tag is not None:
                raise _Careful
            value = scalar.build(event)
            if type(container) is dict and key is _NO_KEY:
                if type(value) is not str or value in container:
                    raise _Careful  # a non-text or duplicate key
                key = value
                continue
            if container is items and items is not None:
                _mark(item_pos, event, len(items))
        elif kind is _MAP_START or kind is _SEQ_START:
            if event.anchor is not None or event.tag is not None:
                raise _Careful
            if len(stack) >= max_depth:
                raise _Careful
            if type(container) is dict and key is _NO_KEY:
                raise _Careful  # a mapping or list used as a key
            new: Any = {} if kind is _MAP_START else []
            if container is items and items is not None:
                _mark(item_pos, event, len(items))
            elif key == "questions" and len(stack) == 1 and kind is _SEQ_START:
                items = new
            stack.append((container, key))
            container, key = new, _NO_KEY
            continue
        elif isinstance(event, _ENDS):
            if key is not _NO_KEY:
                raise _Careful  # a key without a value
            value = container
            container, key = stack.pop()
        else:  # an alias, or anything the careful reader would not expect here
            raise _Careful
        if container is None:
            break
        if type(container) is dict:
            container[key] = value
            key = _NO_KEY
        else:
            container.append(value)
    if not isinstance(get(), yaml.DocumentEndEvent) or not isinstance(get(), yaml.StreamEndEvent):
        raise _Careful  # more than one document
    return Document(value, item_pos, {})


def _mark(item_pos: dict[DataPath, Pos], event: Any, index: int) -> None:
    item_pos[("questions", index)] = Pos(event.start_mark.line + 1, event.start_mark.column + 1)


class _ScalarBuilder:
    """Builds scalar values as the careful reader does, remembering plain ones: a plain
    scalar's value depends on its text alone, and bank files repeat the same keys and
    choices thousands of times."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.plain: dict[str, Any] = {}

    def build(self, event: Any) -> Any:
        text = event.value
        if not event.implicit[0]:
            return text  # quoted or block text with no tag is always a string
        try:
            return self.plain[text]
        except KeyError:
            pass
        loader = self.loader
        tag = loader.resolve(yaml.ScalarNode, text, event.implicit)
        if tag in (_STR, _TIMESTAMP):
            value: Any = text
        elif tag in _BUILT:
            node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
            value = loader.yaml_constructors[tag](loader, node)
        else:
            raise _Careful
        self.plain[text] = value
        return value

"""Validate one raw question (plain data from YAML) against the typed models, and turn
pydantic's errors into positioned `Problem`s.

Called by `quizzer.bank.loader` for every entry of a file's `questions:` list. Each
pydantic `loc` is walked along the raw data to find the YAML node it names, so every
message carries file:line:column, the question id and the field. Unknown keys and
misspelt choices get a difflib suggestion.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path
from types import UnionType
from typing import Any

from pydantic import BaseModel, ValidationError

from quizzer.bank.models import ID_PATTERN, QUESTION_TYPES, Question, QuestionFile
from quizzer.bank.problems import Problem, ProblemSink, suggest
from quizzer.bank.yamlread import DataPath, Document, describe

#: The model class for each question `type`.
MODELS: dict[str, type[BaseModel]] = {
    typing.get_args(model.model_fields["type"].annotation)[0]: model
    for model in typing.get_args(typing.get_args(Question)[0])
}

_WHAT = {
    "string_type": "text",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}

_PATTERN_HINTS = {
    ID_PATTERN: "use lowercase letters, digits and '-', e.g. 'autograd-leaf-tensors'",
    r"^[a-z0-9][a-z0-9-]*$": "use lowercase letters, digits and '-'",
    r"^[a-z0-9_]+$": "use lowercase letters, digits and '_', e.g. 'a' or 'b'",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "use a Python class name, e.g. 'SimpleNN'",
}


def field_name(path: DataPath) -> str:
    """`("options", 1, "text")` -> `options[1].text`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def question_id(raw: Any) -> str | None:
    """The id a raw question claims, for messages, even when it is invalid."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return str(raw["id"])
    return None


class _Where:
    """Builds problems for one question (or the file itself) of one document."""

    def __init__(self, file: Path, doc: Document, base: DataPath, qid: str | None) -> None:
        self.file, self.doc, self.base, self.qid = file, doc, base, qid

    def at(
        self, path: DataPath, message: str, *, key: bool = False, suggestion: str | None = None
    ) -> Problem:
        full = (*self.base, *path)
        pos = self.doc.key_pos(full) if key else self.doc.value_pos(full)
        return Problem(
            self.file,
            pos.line,
            pos.column,
            self.qid,
            field_name(path) or None,
            message,
            suggestion,
        )


def check_file_shape(file: Path, doc: Document, sink: ProblemSink) -> list[DataPath]:
    """Check the top level (`questions:` and a non-empty list); return the paths of
    the entries to validate as questions."""
    where = _Where(file, doc, (), None)
    data = doc.data
    if not isinstance(data, dict):
        sink.report(
            where.at(
                (), f"a bank file is a mapping with the key 'questions:', got {describe(data)}"
            )
        )
        return []
    allowed = list(QuestionFile.model_fields)
    for key in data:
        if key not in allowed:
            sink.report(
                where.at(
                    (key,),
                    f"unknown field '{key}' at the top of the file; the only one is 'questions'",
                    key=True,
                    suggestion=suggest(key, allowed),
                )
            )
    if "questions" not in data:
        if not any(suggest(k, allowed) for k in data):
            sink.report(where.at((), "missing 'questions:', the list of questions in this file"))
        return []
    items = data["questions"]
    if not isinstance(items, list) or not items:
        got = "an empty list" if items == [] else describe(items)
        sink.report(where.at(("questions",), f"'questions' must be a list of questions, got {got}"))
        return []
    return [("questions", index) for index in range(len(items))]


def check_question(file: Path, doc: Document, path: DataPath, sink: ProblemSink) -> Any | None:
    """Validate the raw question at `path`; report problems and return the model, or
    None when it is invalid."""
    raw = doc.data
    for part in path:
        raw = raw[part]
    where = _Where(file, doc, path, question_id(raw))
    if not isinstance(raw, dict):
        sink.report(where.at((), f"a question is a mapping of fields, got {describe(raw)}"))
        return None
    kind = raw.get("type")
    if kind is None:
        sink.report(
            where.at(
                (),
                "missing 'type'; add one of: " + ", ".join(QUESTION_TYPES),
            )
        )
        return None
    if not isinstance(kind, str):
        sink.report(
            where.at(
                ("type",),
                f"expected text, got {describe(kind)}; use one of: " + ", ".join(QUESTION_TYPES),
            )
        )
        return None
    if kind not in MODELS:
        sink.report(
            where.at(
                ("type",),
                f"unknown question type {_quoted(kind)}; use one of: " + ", ".join(QUESTION_TYPES),
                suggestion=suggest(str(kind), QUESTION_TYPES),
            )
        )
        return None
    model = MODELS[kind]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for problem in _problems(exc, model, raw, where):
            sink.report(problem)
        return None


def _walk(raw: Any, loc: tuple[Any, ...], missing: bool) -> tuple[DataPath, bool]:
    """Follow `loc` through the raw data; skip union member names. Returns the data
    path and whether the error is about a mapping key."""
    out: list[str | int] = []
    cur = raw
    for index, part in enumerate(loc):
        in_map = isinstance(cur, dict) and isinstance(part, str) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_map or in_list:
            out.append(part)
            cur = cur[part]
        elif missing and index == len(loc) - 1:
            out.append(part)
    return tuple(out), "[key]" in loc


def _value(raw: Any, path: DataPath) -> Any:
    cur = raw
    for part in path:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _model_at(model: type[BaseModel], path: DataPath) -> type[BaseModel] | None:
    """The model class that describes the mapping at `path` (for unknown-key hints)."""
    tp: Any = model
    for part in path:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            info = tp.model_fields.get(part)
            if info is None:
                return None
            tp = info.annotation
        elif isinstance(part, int) and typing.get_origin(tp) in (tuple, list):
            tp = typing.get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, UnionType):
            models = [
                a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            if len(models) != 1:
                return tp
            tp = models[0]
        else:
            return tp


def _quoted(value: Any) -> str:
    return repr(value) if isinstance(value, str) else describe(value)


def _expected(ctx: dict[str, Any] | None) -> list[str]:
    return re.findall(r"'([^']*)'", str((ctx or {}).get("expected", "")))


def _problems(
    exc: ValidationError, model: type[BaseModel], raw: dict[str, Any], where: _Where
) -> Iterator[Problem]:
    errors: list[tuple[DataPath, bool, Any]] = []
    for err in exc.errors(include_url=False):
        path, is_key = _walk(raw, tuple(err["loc"]), err["type"] == "missing")
        errors.append((path, is_key or err["type"] == "extra_forbidden", err))
    # A union reports one error per member; keep the member that got furthest.
    paths = {path for path, _, _ in errors}
    errors = [e for e in errors if not any(p[: len(e[0])] == e[0] and p != e[0] for p in paths)]
    renamed = set()
    for path, _, err in errors:
        if err["type"] == "extra_forbidden":
            owner = _model_at(model, path[:-1])
            hint = suggest(str(path[-1]), _missing_fields(errors, path[:-1])) if owner else None
            if hint:
                renamed.add((*path[:-1], hint))
    bad_keys = {path for path, is_key, _ in errors if is_key}
    groups: dict[tuple[DataPath, bool], list[dict[str, Any]]] = {}
    for path, is_key, err in errors:
        if err["type"] == "missing" and path in renamed:
            continue
        if not is_key and path in bad_keys:  # the key is wrong; its value does not matter
            continue
        groups.setdefault((path, is_key), []).append(err)
    for (path, is_key), errs in groups.items():
        message, hint = _message(model, raw, path, errs)
        yield where.at(path, message, key=is_key, suggestion=hint)


def _missing_fields(errors: list[Any], parent: DataPath) -> list[str]:
    return [str(p[-1]) for p, _, e in errors if e["type"] == "missing" and p[:-1] == parent and p]


def _message(
    model: type[BaseModel], raw: Any, path: DataPath, errs: list[dict[str, Any]]
) -> tuple[str, str | None]:
    err = errs[0]
    kind = err["type"]
    value = _value(raw, path)
    name = str(path[-1]) if path else "question"
    if kind == "missing":
        return f"required field '{name}' is missing; add it", None
    if kind == "extra_forbidden":
        owner = _model_at(model, path[:-1])
        allowed = list(owner.model_fields) if owner else []
        hint = suggest(name, allowed)
        if hint:
            return f"unknown field '{name}'", hint
        listed = ", ".join(allowed) if allowed else "see docs/bank.md"
        return f"unknown field '{name}'; remove it (the fields here are: {listed})", None
    if "[key]" in err["loc"]:
        choices = _expected(err.get("ctx"))
        message = f"unknown key '{name}'; use one of: {', '.join(choices)}"
        if value is None and " " in name:
            message += "; a text with ', ' inside {...} must be put in quotes"
        return message, suggest(name, choices)
    if all(e["type"] in _WHAT or e["type"] == "literal_error" for e in errs) and (
        len(errs) > 1 or kind != "literal_error"
    ):
        if any(isinstance(p, str) and p.startswith("dict[") for e in errs for p in e["loc"]):
            return f"expected text, or a mapping {{en: ..., zh: ...}}, got {describe(value)}", None
        wanted: list[str] = []
        for e in errs:
            what = _WHAT.get(e["type"]) or " or ".join(f"'{x}'" for x in _expected(e.get("ctx")))
            if what not in wanted:
                wanted.append(what)
        return f"expected {' or '.join(wanted)}, got {describe(value)}", None
    if kind == "literal_error":
        choices = _expected(err.get("ctx"))
        hint = suggest(str(value), choices) if isinstance(value, str) else None
        return f"{_quoted(value)} is not allowed; use one of: {', '.join(choices)}", hint
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        fix = _PATTERN_HINTS.get(pattern, f"it must match {pattern}")
        return f"{_quoted(value)} is not a valid {name}; {fix}", None
    if kind in ("too_short", "string_too_short"):
        least = (err.get("ctx") or {}).get("min_length")
        unit = "character(s)" if kind == "string_too_short" else "item(s)"
        return f"needs at least {least} {unit}, got {describe(value)}; add more", None
    if kind in ("too_long", "string_too_long"):
        most = (err.get("ctx") or {}).get("max_length")
        unit = "characters" if kind == "string_too_long" else "items"
        return f"is too long (at most {most} {unit}); shorten it", None
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif msg.startswith("Input should be"):
        msg = f"{msg[len('Input ') :]}, got {describe(value)}"
    return msg, None

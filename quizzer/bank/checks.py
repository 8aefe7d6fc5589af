"""Checks across validated questions: the ones loading needs (unique ids, answer keys
that name options, task files that exist, sane judge specs) and the quality checks
`bank validate` adds (translations, empty text, Markdown that would not show what the
author wrote, TODO left by `bank new`, near-duplicate questions).

Called by `quizzer.bank.loader` after every question passed the schema. Each check
reports positioned `Problem`s to a `ProblemSink`.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from quizzer.bank.grading import normalise_output, normalise_text
from quizzer.bank.markup import FIX, MARKDOWN_FIELDS, markdown_losses
from quizzer.bank.models import (
    DOTTED_TORCH,
    LANGS,
    CodeOutput,
    Coding,
    MultipleChoice,
    Open,
    Question,
    SingleChoice,
    Text,
    text_in,
    verbatim_in,
)
from quizzer.bank.problems import Problem, ProblemSink, display_path, suggest
from quizzer.bank.schema import field_name
from quizzer.bank.yamlread import DataPath, Document

#: Two questions whose normalised prompts are at least this alike are near-duplicates.
NEAR_DUPLICATE_RATIO = 0.9
_TODO = re.compile(r"\bTODO\b")


@dataclass(frozen=True)
class Entry:
    """A question that passed the schema, with where it came from."""

    question: Question
    file: Path
    doc: Document
    path: DataPath

    def problem(
        self, sub: DataPath, message: str, *, key: bool = False, suggestion: str | None = None
    ) -> Problem:
        full = (*self.path, *sub)
        pos = self.doc.key_pos(full) if key else self.doc.value_pos(full)
        return Problem(
            self.file,
            pos.line,
            pos.column,
            self.question.id,
            field_name(sub) or None,
            message,
            suggestion,
        )

    @property
    def line(self) -> int:
        return self.doc.value_pos(self.path).line

    @property
    def raw(self) -> Any:
        cur = self.doc.data
        for part in self.path:
            cur = cur[part]
        return cur


def check_all(entries: list[Entry], sink: ProblemSink) -> None:
    """The checks that loading needs."""
    check_unique_ids(entries, sink)
    for entry in entries:
        q = entry.question
        if isinstance(q, (SingleChoice, MultipleChoice, CodeOutput)):
            check_options(entry, sink)
        if isinstance(q, Coding):
            check_task_files(entry, sink)
            check_spec(entry, sink)


def check_quality(
    entries: list[Entry], sink: ProblemSink, require_translations: Callable[[Path], bool]
) -> None:
    """The checks `bank validate` adds to loading's."""
    for entry in entries:
        check_texts(entry, sink, require_translations(entry.file))
        check_markdown(entry, sink)
        check_todo(entry, sink)
    check_near_duplicates(entries, sink)


def check_unique_ids(entries: list[Entry], sink: ProblemSink) -> None:
    first: dict[str, Entry] = {}
    for entry in entries:
        qid = entry.question.id
        if qid in first:
            other = first[qid]
            sink.report(
                entry.problem(
                    ("id",),
                    f"duplicate id '{qid}' (first defined at "
                    f"{display_path(other.file)}:{other.line}); ids must be unique in the bank",
                )
            )
        else:
            first[qid] = entry


def check_options(entry: Entry, sink: ProblemSink) -> None:
    q = entry.question
    assert isinstance(q, (SingleChoice, MultipleChoice, CodeOutput))
    ids: list[str] = []
    for index, option in enumerate(q.options):
        if option.id in ids:
            sink.report(
                entry.problem(
                    ("options", index, "id"),
                    f"duplicate option id '{option.id}'; give each option its own id",
                )
            )
        ids.append(option.id)
    listed = ", ".join(dict.fromkeys(ids))
    if isinstance(q, SingleChoice) and q.answer not in ids:
        sink.report(
            entry.problem(
                ("answer",),
                f"answer '{q.answer}' is not an option id; the options are: {listed}",
                suggestion=suggest(q.answer, ids),
            )
        )
    if isinstance(q, MultipleChoice):
        seen: set[str] = set()
        for index, oid in enumerate(q.answer):
            if oid not in ids:
                sink.report(
                    entry.problem(
                        ("answer", index),
                        f"answer '{oid}' is not an option id; the options are: {listed}",
                        suggestion=suggest(oid, ids),
                    )
                )
            elif oid in seen:
                sink.report(entry.problem(("answer", index), f"answer '{oid}' is listed twice"))
            seen.add(oid)
    if isinstance(q, CodeOutput):
        if not normalise_output(q.answer):
            sink.report(
                entry.problem(("answer",), "answer is empty; write exactly what the code prints")
            )
        texts = [normalise_output(verbatim_in(o.text, "en")) for o in q.options]
        if q.options and normalise_output(q.answer) not in texts:
            sink.report(
                entry.problem(
                    ("answer",),
                    "answer matches no option's text; make one option's text exactly what "
                    "the code prints",
                )
            )


def _is_odd_prime(n: int) -> bool:
    return n > 2 and n % 2 == 1 and all(n % d for d in range(3, int(n**0.5) + 1, 2))


def check_spec(entry: Entry, sink: ProblemSink) -> None:
    q = entry.question
    assert isinstance(q, Coding)
    sizes = q.spec.batch_sizes
    if 1 not in sizes or not any(_is_odd_prime(n) for n in sizes):
        sink.report(
            entry.problem(
                ("spec", "batch_sizes"),
                f"batch_sizes {list(sizes)} must include 1 and an odd prime such as 7, "
                "so that batch-size bugs and broadcasting show up",
            )
        )
    for sub, message in spec_problems(q):
        sink.report(entry.problem(("spec", *sub), message))
    for index, variant in enumerate(q.variants):
        if variant.fails_at not in q.spec.checks:
            sink.report(
                entry.problem(
                    ("variants", index, "fails_at"),
                    f"fails_at '{variant.fails_at}' is not one of this task's spec.checks "
                    f"({', '.join(q.spec.checks)}); add it to spec.checks or name another check",
                    suggestion=suggest(variant.fails_at, q.spec.checks),
                )
            )


def spec_problems(task: Coding) -> Iterator[tuple[DataPath, str]]:
    """Fields of a judge spec that do not fit together, as (path in spec, message)."""
    spec = task.spec
    checks = spec.checks
    function_like = spec.entry != "module"
    sections = (
        *(("dropout", spec.dropout), ("train_step", spec.train_step)),
        *(("optimizer", spec.optimizer), ("resume", spec.resume)),
        *(("distribution", spec.distribution), ("incremental", spec.incremental)),
    )
    for check, part in sections:
        if check in checks and part is None:
            yield ("checks",), f"check '{check}' needs a spec.{check} section"
    for check in ("train_step", "resume"):
        if check in checks and spec.entry != "function":
            yield ("entry",), f"check '{check}' calls a function: set entry: function"
    yield from _loop_problems(task)
    yield from _decode_problems(task)
    if function_like:
        for check in ("learning", "train_eval"):
            if check in checks:
                yield (
                    ("checks",),
                    f"check '{check}' needs an nn.Module; an entry of kind {spec.entry} has no "
                    "parameters to train and no modes to switch",
                )
        if spec.init:
            yield ("init",), "init builds a module; it only applies to entry: module"
    if spec.entry == "function" and spec.signature and "collate" not in checks:
        wanted = 6 if "train_step" in checks else 7 if "resume" in checks else None
        wanted = 5 if "distribution" in checks else wanted
        wanted = wanted or 1 + len(spec.extra_inputs)
        if len(spec.signature) != wanted:
            yield (
                ("signature",),
                f"signature names {len(spec.signature)} parameters, but the judge passes "
                f"{wanted} arguments"
                + (
                    " (model, optimizer, loss_fn, x, y, max_norm)"
                    if "train_step" in checks
                    else " (model, optimizer, scheduler, scaler, batches, accum_steps, max_norm)"
                    if "resume" in checks
                    else " (logits, temperature, top_k, top_p, generator)"
                    if "distribution" in checks
                    else " (the first input, then each of extra_inputs)"
                ),
            )
    names = [s.name for s in spec.extra_inputs]
    for index, name in enumerate(names):
        if name in names[:index]:
            yield ("extra_inputs", index, "name"), f"input name '{name}' is used twice"
    for index, extra in enumerate(spec.extra_inputs):
        arg = extra.ignore
        if arg is None:
            continue
        values = [spec.init.get(arg)] + [
            c.init[arg] for c in spec.reference.configs if arg in c.init
        ]
        if spec.entry != "module" or arg not in spec.init:
            yield (
                ("extra_inputs", index, "ignore"),
                f"ignore names the constructor argument whose value some labels take; "
                f"set init: {{{arg}: ...}} on a module entry",
            )
        elif not all(type(v) is int for v in values):
            yield (
                ("extra_inputs", index, "ignore"),
                f"the labels take the value of {arg}, so init and every configuration must "
                "give it as a whole number",
            )
    if "learning" in checks:
        if spec.extra_inputs:
            yield ("extra_inputs",), "the learning check feeds one input; drop it or the inputs"
        out = spec.output_shape
        if spec.learning.loss == "cross_entropy" and (len(out) != 2 or out[1] == "B"):
            yield (
                ("learning", "loss"),
                "cross_entropy needs output_shape [B, classes]; use loss: mse for other shapes",
            )
    if spec.outputs:
        yield from _output_problems(task)
    if "collate" in checks or spec.collate is not None:
        yield from _collate_problems(task)
    if "forbidden_api" in checks and not spec.forbidden_apis:
        yield ("forbidden_apis",), "check 'forbidden_api' needs at least one forbidden name"
    for index, name in enumerate(spec.forbidden_apis):
        if not re.fullmatch(DOTTED_TORCH, name):
            yield (
                ("forbidden_apis", index),
                f"'{name}' must be a dotted torch name such as torch.nn.Linear",
            )
    ref = spec.reference
    if ref.builtin is None:
        given = {"output": ref.output is not None, "rename": bool(ref.rename)}
        given["init"] = ref.init is not None
        for field, value in given.items():
            if value:
                yield ("reference", field), f"reference.{field} only applies with a builtin"
    if ref.buffers and function_like:
        yield ("reference", "buffers"), "buffers are compared for module entries only"
    if "train" in ref.modes and function_like:
        yield ("reference", "modes"), "train mode only applies to module entries"


def _collate_problems(task: Coding) -> Iterator[tuple[DataPath, str]]:
    """The collate check calls `fn(batch, pad_id, pad_to_multiple_of)`: a function
    entry with its spec.collate section, judged by that check alone."""
    spec = task.spec
    if "collate" not in spec.checks:
        yield ("collate",), "spec.collate is read only by the 'collate' check: list it in checks"
        return
    if spec.collate is None:
        yield ("checks",), "check 'collate' needs a spec.collate section"
    if spec.entry != "function":
        yield ("entry",), "check 'collate' calls a function: set entry: function"
    others = [c for c in spec.checks if c not in ("load", "collate")]
    if others:
        yield (
            ("checks",),
            f"a collate function takes lists of samples, not the tensors that {', '.join(others)} "
            "feed: use checks [load, collate]",
        )
    if spec.signature and len(spec.signature) != 3:
        yield (
            ("signature",),
            f"signature names {len(spec.signature)} parameters, but the collate check passes 3 "
            "(batch, pad_id, pad_to_multiple_of)",
        )


def _output_problems(task: Coding) -> Iterator[tuple[DataPath, str]]:
    """`spec.outputs`: a tuple the judge can pack into `output_shape` in the task's
    configuration and in every configuration the reference check builds."""
    spec = task.spec
    outputs = spec.outputs
    if len(outputs) < 2:
        yield ("outputs",), "outputs describes a tuple: list two elements or more, or none"
    names = [o.name for o in outputs]
    for index, name in enumerate(names):
        if name in names[:index]:
            yield ("outputs", index, "name"), f"output name '{name}' is used twice"
    if not any(o.dtype == "float" for o in outputs):
        yield ("outputs",), "at least one element must be floating point (dtype: float)"
    if all(o.scalar for o in outputs):
        yield ("outputs",), "at least one element needs a width (the others are packed beside it)"
    for check in ("learning", "train_step", "dropout", "promises"):
        if check in spec.checks:
            yield ("checks",), f"check '{check}' reads one output; it cannot take packed outputs"
    inits = [("init", dict(spec.init))] + [
        (f"reference.configs[{i}].init", {**spec.init, **c.init})
        for i, c in enumerate(spec.reference.configs)
    ]
    for index, element in enumerate(outputs):
        width = element.width
        if not isinstance(width, str):
            continue
        for where, init in inits:
            if type(init.get(width)) is not int:
                yield (
                    ("outputs", index, "width"),
                    f"width '{width}' names a constructor argument; {where} must give it as "
                    "a whole number (a module entry)",
                )
                break
    sizes = [
        1 if o.width is None else o.width if isinstance(o.width, int) else spec.init.get(o.width)
        for o in outputs
    ]
    widths = [n for n in sizes if type(n) is int]
    last = spec.output_shape[-1]
    if len(widths) == len(sizes) and sum(widths) != last:
        yield (
            ("output_shape",),
            f"the packed outputs are {' + '.join(map(str, widths))} = {sum(widths)} wide "
            f"(a scalar is one column), so output_shape must end with {sum(widths)}, not {last}",
        )


#: Checks that build, call or train a model: an optimiser class is none.
MODEL_CHECKS: tuple[str, ...] = ("shapes", "promises", "device", "gradients", "train_eval")
MODEL_CHECKS += ("reference", "dropout", "train_step", "resume", "learning")


#: Checks that call the entry with the spec's inputs (input_shape, extra_inputs).
INPUT_CHECKS: tuple[str, ...] = ("shapes", "promises", "device", "gradients", "train_eval")
INPUT_CHECKS += ("reference", "dropout", "learning")


def _decode_problems(task: Coding) -> Iterator[tuple[DataPath, str]]:
    """The distribution check calls a sampler with its own arguments, so no check that
    feeds the spec's inputs can run beside it; the incremental check feeds a module
    sequences [B, T, features]."""
    spec, checks = task.spec, task.spec.checks
    if "distribution" in checks:
        if spec.entry != "function":
            yield ("entry",), "check 'distribution' calls a sampling function: set entry: function"
        for check in (c for c in checks if c in (*INPUT_CHECKS, "train_step")):
            yield (
                ("checks",),
                f"check '{check}' calls the entry with the spec's inputs, but a sampler takes "
                "(logits, temperature, top_k, top_p, generator): keep load, forbidden_api "
                "and distribution",
            )
    if "incremental" in checks:
        if spec.entry != "module":
            yield ("entry",), "check 'incremental' builds a module with a cache: set entry: module"
        shape = spec.input_shape
        if len(shape) != 3 or not all(isinstance(d, int) for d in shape[1:]):
            yield (
                ("input_shape",),
                "the incremental check feeds sequences: input_shape must be [B, T, features] "
                "with whole numbers T and features",
            )


def _loop_problems(task: Coding) -> Iterator[tuple[DataPath, str]]:
    """The optimizer and resume checks' fields: an optimiser entry is judged by the
    optimizer check alone; the resume check's model takes [B, features] to
    [B, classes]."""
    spec, checks = task.spec, task.spec.checks
    if "optimizer" in checks and spec.entry != "optimizer":
        yield ("entry",), "check 'optimizer' builds an optimiser class: set entry: optimizer"
    if spec.entry == "optimizer":
        if "optimizer" not in checks:
            yield ("checks",), "entry optimizer is judged by the 'optimizer' check: list it"
        for check in (c for c in checks if c in MODEL_CHECKS):
            yield (
                ("checks",),
                f"check '{check}' needs a model; an entry of kind optimizer has none "
                "(keep load, forbidden_api and optimizer)",
            )
    if "resume" in checks:
        for field in ("input_shape", "output_shape"):
            shape = getattr(spec, field)
            if len(shape) != 2 or not isinstance(shape[1], int) or shape[1] < 2:
                yield (
                    (field,),
                    f"the resume check's model maps [B, features] to [B, classes]: "
                    f"{field} must be [B, n] with a whole number n of at least 2",
                )


def task_file(yaml_file: Path, relpath: str) -> tuple[Path | None, str | None]:
    """Resolve a task's file path (relative to its YAML file). Returns the absolute
    path, or None and the reason it is not acceptable."""
    pure = PurePosixPath(relpath.replace("\\", "/"))
    if not relpath.strip() or pure.is_absolute() or ".." in pure.parts:
        return None, (
            f"'{relpath}' must be a path relative to the task's YAML file, inside its folder"
        )
    target = yaml_file.parent.joinpath(*pure.parts)
    if not target.is_file():
        return None, f"file '{relpath}' not found (looked for {display_path(target)}); create it"
    return target.resolve(), None


def check_task_files(entry: Entry, sink: ProblemSink) -> None:
    q = entry.question
    assert isinstance(q, Coding)
    wanted: list[tuple[DataPath, str]] = [(("starter",), q.starter), (("reference",), q.reference)]
    wanted += [(("variants", i, "path"), v.path) for i, v in enumerate(q.variants)]
    seen: set[str] = set()
    for sub, rel in wanted:
        _, reason = task_file(entry.file, rel)
        if reason:
            sink.report(entry.problem(sub, reason))
        if sub[0] == "variants":
            if rel in seen:
                sink.report(entry.problem(sub, f"variant '{rel}' is listed twice"))
            seen.add(rel)


def text_fields(question: Question) -> Iterator[tuple[DataPath, Text]]:
    """Every translatable text of a question, with its field path."""
    yield ("prompt",), question.prompt
    yield ("explanation",), question.explanation
    for i, hint in enumerate(question.hints):
        yield ("hints", i), hint
    if isinstance(question, (SingleChoice, MultipleChoice, CodeOutput)):
        for i, option in enumerate(question.options):
            yield ("options", i, "text"), option.text
    if isinstance(question, Open):
        yield ("model_answer",), question.model_answer
        for i, point in enumerate(question.rubric):
            yield ("rubric", i), point
    if isinstance(question, Coding):
        for i, variant in enumerate(question.variants):
            yield ("variants", i, "why"), variant.why


def translatable_fields(question: Question) -> Iterator[tuple[DataPath, Text]]:
    """The texts that need every language: all but code_output options, which are
    printed output and read the same in every language."""
    for sub, text in text_fields(question):
        if not (isinstance(question, CodeOutput) and sub[0] == "options"):
            yield sub, text


def _langs(text: Text) -> dict[str, str]:
    return {"en": text} if isinstance(text, str) else {str(k): v for k, v in text.items()}


def is_translated(question: Question, lang: str) -> bool:
    """Whether every translatable text of `question` is given in `lang`."""
    return all(_langs(text).get(lang) for _, text in translatable_fields(question))


def check_texts(entry: Entry, sink: ProblemSink, translations: bool) -> None:
    for sub, text in text_fields(entry.question):
        for lang, value in _langs(text).items():
            if not value.strip():
                what = "explanation" if sub == ("explanation",) else "text"
                fix = "explain why the answer is right" if what == "explanation" else "fill it in"
                where = sub if isinstance(text, str) else (*sub, lang)
                sink.report(entry.problem(where, f"the {lang} {what} is empty; {fix}"))
    if not translations:
        return
    for sub, text in translatable_fields(entry.question):
        missing = [lang for lang in LANGS if lang not in _langs(text)]
        if missing:
            form = "{en: ..., zh: ...}"
            sink.report(
                entry.problem(
                    sub,
                    f"no {' and '.join(missing)} translation; the bundled bank gives every "
                    f"text in both languages, as {form}",
                )
            )


def check_markdown(entry: Entry, sink: ProblemSink) -> None:
    """Texts shown as Markdown (`MARKDOWN_FIELDS`) must show every character the
    author wrote: no formula turned into emphasis, no shape into a link or HTML."""
    for sub, text in text_fields(entry.question):
        if sub[0] not in MARKDOWN_FIELDS:
            continue
        for lang, value in _langs(text).items():
            losses = markdown_losses(value)
            if losses:
                where, which = (sub, "") if isinstance(text, str) else ((*sub, lang), f"{lang} ")
                found = "; ".join(str(loss) for loss in losses)
                message = f"Markdown does not show this {which}text as written: {found}; {FIX}"
                sink.report(entry.problem(where, message))


def _strings(value: Any, path: DataPath) -> Iterator[tuple[DataPath, str]]:
    stack = [(path, value)]
    while stack:
        where, cur = stack.pop()
        if isinstance(cur, str):
            yield where, cur
        elif isinstance(cur, dict):
            stack.extend(((*where, k), v) for k, v in reversed(list(cur.items())))
        elif isinstance(cur, list):
            stack.extend(((*where, i), v) for i, v in reversed(list(enumerate(cur))))


def check_todo(entry: Entry, sink: ProblemSink) -> None:
    for sub, text in _strings(entry.raw, ()):
        if _TODO.search(text):
            sink.report(entry.problem(sub, "still holds TODO text from 'bank new'; replace it"))


def _fingerprint(question: Question) -> str:
    parts = [text_in(question.prompt, "en")]
    if isinstance(question, CodeOutput):
        parts.append(question.code)
    if isinstance(question, (SingleChoice, MultipleChoice, CodeOutput)):
        parts.extend(text_in(o.text, "en") for o in question.options)
    return normalise_text(" ".join(parts))


def _overlap(a: Counter[str], b: Counter[str]) -> float:
    """`SequenceMatcher.quick_ratio` of the strings counted in `a` and `b`: twice the
    characters they share (with repeats) over their total length."""
    total = a.total() + b.total()
    return 2.0 * (a & b).total() / total if total else 1.0


def check_near_duplicates(entries: list[Entry], sink: ProblemSink) -> None:
    prints = [_fingerprint(e.question) for e in entries]
    #: Each fingerprint's characters, counted once: their overlap is the bound that
    #: `SequenceMatcher.quick_ratio` computes, without walking both strings per pair.
    counts = [Counter(p) for p in prints]
    for j in range(len(entries)):
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(prints[j])
        for i in range(j):
            if entries[i].question.id == entries[j].question.id:
                continue
            matcher.set_seq1(prints[i])
            if (
                matcher.real_quick_ratio() > NEAR_DUPLICATE_RATIO
                and _overlap(counts[i], counts[j]) > NEAR_DUPLICATE_RATIO
                and matcher.ratio() > NEAR_DUPLICATE_RATIO
            ):
                other = entries[i]
                sink.report(
                    entries[j].problem(
                        ("prompt",),
                        f"nearly the same as '{other.question.id}' "
                        f"({display_path(other.file)}:{other.line}, "
                        f"{matcher.ratio():.0%} alike); merge them or make them differ",
                    )
                )
                break

"""Scaffold a new question into a bank file: what `quizzer bank new` does.

Called by `quizzer.commands.bank`. The scaffold is valid as written (it loads) but
holds TODO text that `bank validate` flags until it is filled in. The new entry is
appended to the file's `questions:` list as text, so comments and layout of what is
already there stay as they are; the result is parsed and checked before it replaces
the file atomically. Coding tasks also get starter, reference and known-bad files,
which are only created when missing.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

from quizzer.bank.models import ID_PATTERN, QUESTION_TYPES
from quizzer.bank.problems import ProblemSink, display_path, suggest
from quizzer.bank.schema import check_question
from quizzer.bank.yamlread import DataPath, Pos, YamlReadError, parse, read_text
from quizzer.errors import BankError, UsageError

_T = '{{en: "TODO: {en}", zh: "TODO: {zh}"}}'

_COMMON = """\
- id: {id}
  type: {type}
  topic: {topic}
  difficulty: medium
  tags: []
  prompt: {prompt}
  explanation: {explanation}
"""

_BODIES = {
    "single_choice": """\
  options:
    - {{id: a, text: {right}}}
    - {{id: b, text: {wrong}}}
  answer: a
""",
    "multiple_choice": """\
  options:
    - {{id: a, text: {right}}}
    - {{id: b, text: {right}}}
    - {{id: c, text: {wrong}}}
  answer: [a, b]
""",
    "true_false": """\
  answer: true
""",
    "numeric": """\
  answer: 0
  tolerance: 0
""",
    "short_answer": """\
  accepted: ["TODO: an accepted answer"]
""",
    "code_output": """\
  code: |
    # TODO: a short snippet that prints something
    print("TODO")
  answer: "TODO"
""",
    "open": """\
  model_answer: {model}
  rubric:
    - {point}
""",
    "coding": """\
  class_name: {class_name}
  starter: starter.py
  reference: reference.py
  spec:
    input_shape: [B, 10]
    output_shape: [B, 3]
  variants:
    - path: bad/wrong_shape.py
      fails_at: shapes
      why: {why}
""",
}

_TASK_FILES = {
    "starter.py": """\
import torch
from torch import nn


class {class_name}(nn.Module):
    def __init__(self):
        super().__init__()
        # TODO: define the layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: map (B, 10) to (B, 3)
        raise NotImplementedError
""",
    "reference.py": """\
import torch
from torch import nn


class {class_name}(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)
""",
    "bad/wrong_shape.py": """\
import torch
from torch import nn


class {class_name}(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 4)  # one output too many

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)
""",
}


def class_name_for(question_id: str) -> str:
    """`simple-mlp` -> `SimpleMlp`."""
    name = "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]+", question_id))
    return name if name[:1].isalpha() else f"Task{name}"


def scaffold_yaml(kind: str, question_id: str, topic: str) -> str:
    """The YAML of one new list entry (starting with '- ', at indent 0)."""
    check_new_args(kind, question_id, topic)
    fill = {
        "id": question_id,
        "type": kind,
        "topic": topic,
        "prompt": _T.format(en="the question", zh="问题"),
        "explanation": _T.format(en="why the answer is right", zh="为什么这是正确答案"),
        "right": _T.format(en="a right option", zh="正确选项"),
        "wrong": _T.format(en="a wrong option", zh="错误选项"),
        "model": _T.format(en="a model answer", zh="参考答案"),
        "point": _T.format(en="a key point the answer must make", zh="答案必须包含的要点"),
        "why": _T.format(en="why the judge must fail this file", zh="评测为何必须判此文件失败"),
        "class_name": class_name_for(question_id),
    }
    return _COMMON.format(**fill) + _BODIES[kind].format(**fill)


def check_new_args(kind: str, question_id: str, topic: str) -> None:
    if kind not in QUESTION_TYPES:
        hint = suggest(kind, QUESTION_TYPES)
        more = f"; did you mean '{hint}'?" if hint else ""
        raise UsageError(f"unknown type '{kind}': use one of {', '.join(QUESTION_TYPES)}{more}")
    if not re.match(ID_PATTERN, question_id) or len(question_id) > 80:
        raise UsageError(
            f"'{question_id}' is not a valid id: use lowercase letters, digits and '-', "
            "e.g. 'autograd-leaf-tensors'"
        )
    if not re.match(r"^[a-z0-9][a-z0-9-]*$", topic):
        raise UsageError(f"'{topic}' is not a valid topic: use lowercase letters, digits and '-'")


def default_file(bank_dir: Path, kind: str, question_id: str, topic: str) -> Path:
    """Where `bank new` writes without `--file`: `<bank>/<topic>.yaml`, or for a
    coding task its own folder `<bank>/tasks/<id>/task.yaml`."""
    if kind == "coding":
        return bank_dir / "tasks" / question_id / "task.yaml"
    return bank_dir / f"{topic}.yaml"


def add_question(
    file: Path, kind: str, question_id: str, topic: str, taken: Collection[str] = ()
) -> list[Path]:
    """Append a scaffolded question to `file` (created when missing). Returns the
    files written. Never overwrites existing content; `taken` are ids already used."""
    check_new_args(kind, question_id, topic)
    if question_id in taken:
        raise UsageError(f"id '{question_id}' is already in the bank; choose another id")
    entry = scaffold_yaml(kind, question_id, topic)
    old_items: list[object] = []
    if file.exists():
        try:
            old_text = read_text(file)
            old = parse(old_text)
        except YamlReadError as exc:
            raise BankError(
                f"{display_path(file)}:{exc.line}:{exc.column}: {exc.message}; "
                "fix the file before adding to it"
            ) from exc
        indent = _list_indent(file, old_text, old.data, old.values)
        old_items = list(old.data["questions"])
        if any(isinstance(q, dict) and q.get("id") == question_id for q in old_items):
            raise UsageError(f"id '{question_id}' is already in {display_path(file)}")
        prefix = old_text if old_text.endswith("\n") or not old_text else old_text + "\n"
    else:
        indent, prefix = 2, "questions:\n"
    pad = " " * indent
    new_text = prefix + "".join(pad + line if line else line for line in entry.splitlines(True))
    _check_result(file, new_text, old_items)
    written = []
    if kind == "coding":
        written += _write_task_files(file.parent, class_name_for(question_id))
    _write_atomic(file, new_text)
    return [file, *written]


def _list_indent(file: Path, text: str, data: object, values: Mapping[DataPath, Pos]) -> int:
    where = display_path(file)
    if not isinstance(data, dict) or set(data) != {"questions"}:
        raise BankError(f"{where}: expected only 'questions:' at the top; fix the file first")
    if not isinstance(data["questions"], list):
        raise BankError(f"{where}: 'questions' is not a list; fix the file first")
    pos = values[("questions",)]
    line = text.splitlines()[pos.line - 1]
    if line[pos.column - 1 : pos.column] != "-":
        raise BankError(
            f"{where}:{pos.line}:{pos.column}: 'questions' is written in flow style ([...]); "
            "write it as a block list ('- id: ...' lines) to add questions with 'bank new'"
        )
    return pos.column - 1


def _check_result(file: Path, new_text: str, old_items: list[object]) -> None:
    """The appended file must parse, keep every old entry, and its new entry must
    pass the schema; anything else is a bug here, not in the user's file."""
    try:
        doc = parse(new_text)
    except YamlReadError as exc:
        raise BankError(
            f"{display_path(file)}:{exc.line}:{exc.column}: adding the question would break "
            f"the file ({exc.message}); add it by hand"
        ) from exc
    items = doc.data.get("questions") if isinstance(doc.data, dict) else None
    if not isinstance(items, list) or items[:-1] != old_items or len(items) != len(old_items) + 1:
        raise BankError(
            f"{display_path(file)}: cannot append safely here; add the question by hand"
        )
    sink = ProblemSink(stop_at_first=False)
    check_question(file, doc, ("questions", len(items) - 1), sink)
    if sink.problems:
        raise BankError("the scaffold does not validate: " + str(sink.problems[0]))


def _write_task_files(folder: Path, class_name: str) -> list[Path]:
    written = []
    for rel, template in _TASK_FILES.items():
        target = folder / rel
        if not target.exists():
            _write_atomic(target, template.format(class_name=class_name))
            written.append(target)
    return written


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

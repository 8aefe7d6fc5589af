"""The judge's result document: typed, versioned, and free of torch.

Built by `quizzer.judge.runner`; rendered by `quizzer.judge.report` (text, Markdown,
JUnit) and printed by `quizzer judge --json`. The practice UI reads it from
`quizzer judge --events` without importing torch. `result.schema.json` beside this
module is generated from these models (`python -m quizzer.judge.result` rewrites it),
and the tests prove the two agree.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION: Literal[1] = 1
SCHEMA_PATH = Path(__file__).with_name("result.schema.json")

#: A metric is a JSON scalar or a short list of scalars.
Scalar = float | int | str | bool | None
Metric = Scalar | Sequence[Scalar]


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    #: Not run because an earlier check it needs did not pass (checks only).
    SKIPPED = "skipped"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckResult(_Frozen):
    name: str
    status: Status
    #: One line first (the reason), then detail lines such as traceback lines.
    message: str = ""
    metrics: dict[str, Metric] = Field(default_factory=dict)
    #: What the submission printed during this check, capped.
    output: str = ""
    #: Seconds the worker spent on this check (as it reported them).
    duration_s: float | None = None


class TaskInfo(_Frozen):
    id: str
    class_name: str


class DeviceInfo(_Frozen):
    #: What was asked for: auto, cpu or cuda.
    requested: str
    #: What the checks ran on: cpu or cuda.
    used: str


class SandboxInfo(_Frozen):
    name: str
    protections: list[str] = Field(default_factory=list)
    #: The limit that stopped the worker, if one did (wall, cpu, memory, ...).
    limit_hit: str | None = None
    exit_code: int | None = None
    signal: int | None = None


class Versions(_Frozen):
    quizzer: str
    python: str
    torch: str
    #: As the worker reported them (untrusted; for information only).
    worker_python: str | None = None
    worker_torch: str | None = None


class Timings(_Frozen):
    #: The whole judgement of this file, as the judge measured it.
    total_s: float
    #: Time inside the sandbox: start-up, torch import, checks.
    sandbox_s: float = 0.0
    #: The checks themselves, as the worker reported them.
    checks_s: float = 0.0


class JudgeResult(_Frozen):
    """One judged submission. `status` is pass only when every check passed."""

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Status
    message: str | None = None
    submission: str
    sha256: str
    task: TaskInfo
    device: DeviceInfo
    sandbox: SandboxInfo
    #: Seeds every random choice of this run; `--seed` reproduces it.
    seed: int
    versions: Versions
    timings: Timings
    checks: list[CheckResult]
    #: The tail of what the worker wrote to its output outside the checks, capped.
    output: str = ""
    #: True when the file was not judged because the sandbox failed (twice) to start:
    #: the machine's problem, not the submission's (`quizzer judge` exits 3).
    infrastructure: bool = False

    @field_validator("status")
    @classmethod
    def _not_skipped(cls, value: Status) -> Status:
        if value is Status.SKIPPED:
            raise ValueError("a submission's status is pass, fail or error")
        return value

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)


def overall(checks: list[CheckResult]) -> tuple[Status, str | None]:
    """The submission's status and message from its checks: fail when any check
    failed, else error when any errored, pass only when all passed."""
    for wanted in (Status.FAIL, Status.ERROR):
        for check in checks:
            if check.status is wanted:
                first = check.message.splitlines()[0] if check.message else wanted.value
                return wanted, f"{check.name}: {first}"
    if checks and all(c.status is Status.PASS for c in checks):
        return Status.PASS, None
    return Status.ERROR, "no check ran to completion"


def json_schema() -> dict:
    schema = JudgeResult.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://quizzer.invalid/judge/result.schema.json"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # regenerate the shipped schema file
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_PATH}\n")

"""Prove `code_output` answers by running their snippets: the trusted side of
`quizzer bank verify`.

Called by `quizzer.commands.bank`. It starts `snippet_runner.py` once as a
subprocess (which imports torch there, never here), sends it each snippet, and
compares what the snippet printed with the stated answer under the grading rule of
`quizzer.bank.grading.same_output`. A dead runner, a garbled reply, an error or a
timeout is a problem, never a pass.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from quizzer.bank.grading import normalise_output, same_output
from quizzer.bank.loader import Bank
from quizzer.bank.models import CodeOutput
from quizzer.bank.problems import Problem
from quizzer.errors import BankError

RUNNER = Path(__file__).with_name("snippet_runner.py")
#: Seconds a snippet may run.
DEFAULT_TIMEOUT = 10.0
#: Seconds the runner may take to start (importing torch is slow on a cold disk).
START_TIMEOUT = 120.0
#: Imported once in the runner when snippets use torch, so children need not (the
#: graph-capture and export snippets each imported some 450 modules of these).
TORCH_WARM = ("torch.nn", "torch.optim", "torch._dynamo", "torch.export", "functorch.compile")
_USES_TORCH = re.compile(r"^\s*(import|from)\s+torch\b", re.MULTILINE)


@dataclass(frozen=True)
class SnippetResult:
    question_id: str
    status: str
    stdout: str
    stderr: str
    seconds: float
    exit_code: int | None = None


class SnippetRunner:
    """A warm runner subprocess. Use as a context manager; `run` one snippet at a time."""

    def __init__(self, preload: Sequence[str] = ("torch",), warm: Sequence[str] = ()) -> None:
        self.preload = tuple(preload)
        self.warm = tuple(warm)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._buffer = b""

    def __enter__(self) -> SnippetRunner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        args = [sys.executable, "-I", str(RUNNER)]
        for name in self.preload:
            args += ["--preload", name]
        for name in self.warm:
            args += ["--warm", name]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._buffer = b""
        self._proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log
        )
        hello = self._read_reply(START_TIMEOUT)
        if hello is None or hello.get("ready") is not True:
            raise BankError(
                "the snippet runner did not start: " + self._log_tail() + "; check that "
                "torch imports in this Python"
            )
        if hello.get("errors"):
            raise BankError(
                "the snippet runner cannot import " + "; ".join(map(str, hello["errors"]))
            )

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin:
                proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def run(self, question_id: str, code: str, timeout: float = DEFAULT_TIMEOUT) -> SnippetResult:
        """Run one snippet in a fresh child of the runner. Restarts the runner if it
        died; a runner that does not answer is reported as status 'runner'."""
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self.start()
        assert self._proc is not None and self._proc.stdin is not None
        request = {"id": question_id, "code": code, "timeout": timeout}
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
        except BrokenPipeError:
            return SnippetResult(question_id, "runner", "", self._log_tail(), 0.0)
        reply = self._read_reply(timeout + 15.0)
        if reply is None or reply.get("id") != question_id:
            tail = self._log_tail()
            self.close()
            return SnippetResult(question_id, "runner", "", tail, 0.0)
        return SnippetResult(
            question_id,
            str(reply.get("status")),
            str(reply.get("stdout", "")),
            str(reply.get("stderr", "")),
            float(reply.get("seconds", 0.0)),
            reply.get("exit_code"),
        )

    def _read_reply(self, timeout: float) -> dict[str, Any] | None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return None
                data = os.read(fd, 1 << 20)
                if not data:
                    return None
                self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            value = json.loads(line)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def _log_tail(self) -> str:
        if self._log is None:
            return "(no log)"
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return text[-500:] or "(the runner printed nothing)"


def needs_torch(questions: Sequence[CodeOutput]) -> bool:
    return any(_USES_TORCH.search(q.code) for q in questions)


def diff(expected: str, printed: str) -> str:
    """A unified diff of the stated answer against what the snippet printed."""
    lines = difflib.unified_diff(
        normalise_output(expected),
        normalise_output(printed),
        "answer (in the bank)",
        "printed (by the snippet)",
        lineterm="",
    )
    return "\n".join(lines)


def check_result(bank: Bank, question: CodeOutput, result: SnippetResult) -> Problem | None:
    """The problem with one snippet's run, or None when it printed the answer."""
    where = bank.location(question.id)
    if result.status == "ok" and same_output(result.stdout, question.answer):
        return None
    if result.status == "ok":
        message = "the snippet prints something else than the answer:\n" + diff(
            question.answer, result.stdout
        )
    elif result.status == "timeout":
        message = "the snippet ran too long and was stopped; make it shorter or raise --timeout"
    elif result.status == "runner":
        message = "the snippet runner died or did not answer: " + result.stderr[-300:]
    else:
        last = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = last[-1] if last else f"exit status {result.exit_code}"
        message = f"the snippet fails: {reason}; fix the code"
    field = "answer" if result.status == "ok" else "code"
    return Problem(where.path, where.line, where.column, question.id, field, message)


def verify_snippets(
    bank: Bank,
    *,
    only: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> list[Problem]:
    """Run every `code_output` snippet (or those in `only`) and return the problems."""
    questions = [
        q for q in bank.questions if isinstance(q, CodeOutput) and (not only or q.id in only)
    ]
    if not questions:
        return []
    problems: list[Problem] = []
    uses_torch = needs_torch(questions)
    preload = ("torch",) if uses_torch else ()
    with SnippetRunner(preload, TORCH_WARM if uses_torch else ()) as runner:
        for number, question in enumerate(questions, start=1):
            result = runner.run(question.id, question.code, timeout)
            problem = check_result(bank, question, result)
            if problem is not None:
                problems.append(problem)
            if progress is not None:
                if problem is None:
                    verdict = "ok"
                else:
                    verdict = "MISMATCH" if result.status == "ok" else result.status.upper()
                progress(
                    f"[{number}/{len(questions)}] {question.id}: {verdict} ({result.seconds:.2f}s)"
                )
    return problems

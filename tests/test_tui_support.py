"""Test data for the practice UI tests: a small bank with one question of every
type (written as YAML and loaded by the real loader), a clock the tests move by
hand, a fake judge script, and `drive` to run a headless app.

The tests at the bottom check that this data is what the other tests think it is.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from quizzer.bank.loader import Bank, load_bank
from quizzer.store import Store

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=timezone.utc)

BANK_YAML = """\
questions:
  - id: pick-one
    type: single_choice
    topic: basics
    tags: [graphs]
    difficulty: easy
    prompt:
      en: "Which framework builds the graph as the code runs?"
      zh: "哪个框架在代码运行时构建计算图？"
    options:
      - {id: a, text: {en: "PyTorch (eager)", zh: "PyTorch（即时执行）"}}
      - {id: b, text: "Theano"}
      - {id: c, text: {en: "None of them", zh: "都不是"}}
    answer: a
    explanation:
      en: "PyTorch records operations as they run."
      zh: "PyTorch 在运算执行时记录它们。"
    hints:
      - {en: "Think define-by-run.", zh: "想想 define-by-run。"}
      - {en: "It is the one this quiz is about.", zh: "就是这个测验讲的那个。"}
    references:
      - {title: "Autograd mechanics", url: "https://pytorch.org/docs/stable/notes/autograd.html"}

  - id: pick-many
    type: multiple_choice
    topic: basics
    tags: [autograd]
    difficulty: medium
    prompt: {en: "Which of these stop gradients?", zh: "下面哪些会阻断梯度？"}
    options:
      - {id: a, text: "x.detach()"}
      - {id: b, text: "torch.no_grad()"}
      - {id: c, text: "x.clone()"}
    answer: [a, b]
    explanation: {en: "clone() stays in the graph.", zh: "clone() 仍在图中。"}

  - id: true-or-false
    type: true_false
    topic: basics
    difficulty: easy
    prompt:
      en: "torch.no_grad() caches intermediate results."
      zh: "torch.no_grad() 会缓存中间结果。"
    answer: false
    explanation: {en: "It records nothing at all.", zh: "它什么也不记录。"}

  - id: count-params
    type: numeric
    topic: modules
    tags: [linear]
    difficulty: medium
    prompt:
      en: "How many parameters has nn.Linear(10, 5)?"
      zh: "nn.Linear(10, 5) 有多少参数？"
    answer: 55
    explanation: {en: "50 weights and 5 biases.", zh: "50 个权重和 5 个偏置。"}
    hints:
      - {en: "Weights plus biases.", zh: "权重加偏置。"}

  - id: name-method
    type: short_answer
    topic: modules
    difficulty: easy
    prompt:
      en: "Which method clears the gradients of an optimizer?"
      zh: "哪个方法清空优化器的梯度？"
    accepted: [zero_grad, "zero_grad()", "optimizer.zero_grad()"]
    explanation: {en: "zero_grad() resets .grad.", zh: "zero_grad() 重置 .grad。"}

  - id: what-prints
    type: code_output
    topic: modules
    difficulty: easy
    prompt: {en: "What does this print?", zh: "这段代码打印什么？"}
    code: |
      import torch
      print(torch.ones(2, 3).shape[1])
    answer: "3"
    explanation: {en: "shape[1] is the second size.", zh: "shape[1] 是第二维的大小。"}

  - id: what-prints-choice
    type: code_output
    topic: modules
    difficulty: hard
    prompt: {en: "What does this print?", zh: "这段代码打印什么？"}
    code: |
      import torch
      print(torch.zeros(4).dim())
    answer: "1"
    options:
      - {id: a, text: "1"}
      - {id: b, text: "4"}
    explanation: {en: "A vector has one dimension.", zh: "向量只有一维。"}

  - id: explain-graphs
    type: open
    topic: basics
    difficulty: hard
    prompt: {en: "Explain dynamic graphs.", zh: "解释动态图。"}
    model_answer: {en: "The graph is built as the code runs.", zh: "计算图在代码运行时构建。"}
    rubric:
      - {en: "built at run time", zh: "运行时构建"}
      - {en: "Python control flow works", zh: "可以用 Python 控制流"}
    explanation: {en: "Define-by-run.", zh: "即定义即运行。"}
"""

TASK_YAML = """\
questions:
  - id: tiny-linear
    type: coding
    topic: modules
    difficulty: easy
    class_name: TinyLinear
    prompt:
      en: "Implement **TinyLinear**: (B, 4) -> (B, 2)."
      zh: "实现 **TinyLinear**：(B, 4) -> (B, 2)。"
    explanation: {en: "One nn.Linear is enough.", zh: "一个 nn.Linear 就够了。"}
    starter: starter.py
    reference: reference.py
    spec:
      input_shape: [B, 4]
      output_shape: [B, 2]
      checks: [load, shapes, gradients, learning]
    variants:
      - {path: bad.py, fails_at: learning, why: "constant output"}
"""

STARTER = "import torch\n\n\nclass TinyLinear(torch.nn.Module):\n    pass  # STARTER\n"
REFERENCE = textwrap.dedent(
    """\
    import torch


    class TinyLinear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)
    """
)

CONCEPT_IDS = (
    "pick-one",
    "pick-many",
    "true-or-false",
    "count-params",
    "name-method",
    "what-prints",
    "what-prints-choice",
    "explain-graphs",
)

#: A stand-in for `quizzer judge ... --events`: it reports checks one by one and
#: passes a file that contains "PASS". Its pid goes to $FAKE_JUDGE_PID; with
#: "SLOW" in the file it stalls after the first check.
FAKE_JUDGE = textwrap.dedent(
    """\
    import json, os, sys, time
    path = sys.argv[1]
    with open(os.environ["FAKE_JUDGE_PID"], "a") as f:
        f.write(f"{os.getpid()}\\n")
    text = open(path).read()
    def emit(obj):
        print(json.dumps(obj), flush=True)
    emit({"event": "start", "file": path, "index": 1, "total": 1})
    checks = []
    for name in ["load", "shapes", "gradients", "learning"]:
        status = "pass" if "PASS" in text or name != "learning" else "fail"
        message = f"{name} ok" if status == "pass" else "loss did not fall (1.0 -> 1.0)"
        check = {"name": name, "status": status, "message": message, "metrics": {}}
        checks.append(check)
        emit({"event": "check", "file": path, "check": check})
        if "SLOW" in text:
            time.sleep(60)
    status = "pass" if all(c["status"] == "pass" for c in checks) else "fail"
    emit({"schema_version": 1, "status": status,
          "message": None if status == "pass" else "learning: loss did not fall",
          "checks": checks})
    emit({"event": "summary", "total": 1, "passed": int(status == "pass")})
    sys.exit(0 if status == "pass" else 1)
    """
)


def write_bank(root: Path, *, with_task: bool = True) -> Path:
    """The test bank under `root/bank`; returns the folder."""
    bank = root / "bank"
    bank.mkdir(parents=True, exist_ok=True)
    (bank / "concepts.yaml").write_text(BANK_YAML, encoding="utf-8")
    if with_task:
        task = bank / "tasks" / "tiny-linear"
        task.mkdir(parents=True, exist_ok=True)
        (task / "task.yaml").write_text(TASK_YAML, encoding="utf-8")
        (task / "starter.py").write_text(STARTER, encoding="utf-8")
        (task / "reference.py").write_text(REFERENCE, encoding="utf-8")
        (task / "bad.py").write_text(REFERENCE.replace("self.fc(x)", "0 * self.fc(x)"), "utf-8")
    return bank


def load_test_bank(root: Path, *, with_task: bool = True) -> Bank:
    return load_bank([write_bank(root, with_task=with_task)], include_bundled=False, env={})


class FakeClock:
    """Monotonic seconds and a UTC wall clock that move only when told."""

    def __init__(self, start: datetime = T0) -> None:
        self.start = start
        self.seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.seconds += seconds

    def timer(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass
class Rig:
    """Everything a UI test needs: bank, store, clock, folders, the messages seen."""

    bank: Bank
    store: Store
    clock: FakeClock
    root: Path
    messages: list[Any]

    @property
    def submissions(self) -> Path:
        return self.root / "submissions"

    def app(self, **options: Any):  # type: ignore[no-untyped-def]
        from quizzer.tui.app import make_app

        defaults: dict[str, Any] = {
            "submissions_dir": self.submissions,
            "now": self.clock.now,
            "timer": self.clock.timer,
            "tz": timezone.utc,
            "watch_interval": 0.05,
            "exam_export_dir": self.root / "exports",
            "judge_command": [sys.executable, str(self.fake_judge())],
        }
        defaults.update(options)
        return make_app(self.bank, self.store, **defaults)

    def fake_judge(self) -> Path:
        path = self.root / "fake_judge.py"
        if not path.exists():
            path.write_text(FAKE_JUDGE, encoding="utf-8")
        return path

    def of(self, kind: type) -> list[Any]:
        """Messages of `kind`, once each (the hook sees a bubbling message at every
        node it reaches)."""
        seen: set[int] = set()
        found = []
        for message in self.messages:
            if isinstance(message, kind) and id(message) not in seen:
                seen.add(id(message))
                found.append(message)
        return found


def make_rig(root: Path, *, with_task: bool = True) -> Rig:
    bank = load_test_bank(root, with_task=with_task)
    store = Store(root / "progress.sqlite3")
    return Rig(bank, store, FakeClock(), root, [])


def drive(rig: Rig, scenario: Callable[[Any, Any], Awaitable[None]], **options: Any) -> Any:
    """Run `scenario(app, pilot)` against a headless app (100x40), recording every
    message into `rig.messages`; returns the app."""
    app = rig.app(**options)

    async def main() -> None:
        async with app.run_test(size=(100, 40), message_hook=rig.messages.append) as pilot:
            await pilot.pause()
            await scenario(app, pilot)

    asyncio.run(main())
    return app


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until `condition()` holds (workers, subprocesses)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


# --- the test data is what the tests assume -------------------------------------------


def test_the_test_bank_has_one_question_of_every_concept_type(tmp_path):
    bank = load_test_bank(tmp_path)
    concept = [q for q in bank.questions if q.type != "coding"]
    assert tuple(q.id for q in concept) == CONCEPT_IDS
    assert {q.type for q in concept} == {
        "single_choice", "multiple_choice", "true_false", "numeric",
        "short_answer", "code_output", "open",
    }  # fmt: skip
    assert [t.id for t in bank.tasks()] == ["tiny-linear"]
    assert bank.resolve("tiny-linear", "starter.py").read_text() == STARTER


def test_the_fake_clock_moves_only_when_told():
    clock = FakeClock()
    assert clock.now() == T0 and clock.timer() == 0
    clock.advance(90)
    assert clock.now() == T0 + timedelta(seconds=90) and clock.timer() == 90

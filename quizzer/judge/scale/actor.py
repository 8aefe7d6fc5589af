"""The Ray actor's body: one worker slot on one node, holding that node's warm sandbox.

Created by `quizzer.judge.scale.ray_backend` (which wraps `JudgeSlot` with
`ray.remote`, so this module never imports Ray at import time). A thin shell: it
receives plain data (a `Submission` as `to_wire` makes it), calls the same runner as
`quizzer judge` on the same sandbox it would open locally, and returns the result
document as JSON. It refuses:

- to start without full isolation (the same check as `quizzer judge`; `--sandbox none`
  is refused outright: a Ray worker can reach the cluster's ports, and candidate code
  must run only in a sandboxed child with a network namespace of its own);
- a submission whose task content hash is not one of the tasks it was shipped (a node
  with another bank would give another task's verdict).

Candidate code never runs in this process: only in the sandbox's child.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from quizzer.bank.models import Coding
from quizzer.errors import QuizzerError, SandboxError
from quizzer.judge.scale.work import Submission, TaskPack, not_judged, unpack_task


class JudgeSlot:
    def __init__(
        self, packs: dict[str, dict[str, Any]], sandbox: str, allow_weak: bool, device: str
    ) -> None:
        import ray

        self.node = ray.get_runtime_context().get_node_id()
        self.refused: str | None = None
        self.root = Path(tempfile.mkdtemp(prefix="quizzer-slot-"))
        self.tasks: dict[str, Coding] = {}
        self.box = None
        self.sandbox = sandbox
        for claimed, data in packs.items():
            pack = TaskPack(str(data["task_id"]), str(data["model"]), dict(data["files"]))
            if pack.digest != claimed:  # shipped content must be what the driver hashed
                self.refused = f"task {pack.task_id} arrived with another content hash"
                return
            try:
                self.tasks[pack.digest] = unpack_task(pack, self.root)
            except (ValueError, QuizzerError, OSError) as exc:  # another quizzer here
                self.refused = (
                    f"this node's quizzer cannot read task {pack.task_id} "
                    f"({str(exc).splitlines()[0][:300]}...): install the driver's version"
                )
                return
        if sandbox == "none":
            self.refused = (
                "--sandbox none gives no isolation, and a Ray worker can reach the "
                "cluster's ports: choose process, docker or auto"
            )
            return
        try:
            from quizzer.judge.sandbox import make_sandbox

            self.box = make_sandbox(sandbox, allow_weak=allow_weak, device=device)
            start = getattr(self.box, "start", None)
            if callable(start):
                start()
        except SandboxError as exc:
            self.refused = str(exc)
            self.box = None

    def ready(self) -> dict[str, Any]:
        """Where this slot runs and whether it may judge (the driver asks first)."""
        box = self.box
        import ray

        return {
            "node": self.node,
            "gpus": [str(g) for g in ray.get_gpu_ids()],
            "refused": self.refused,
            "sandbox": box.name if box is not None else self.sandbox,
            "protections": list(box.protections()) if box is not None else [],
        }

    def judge(self, wire: dict[str, Any]) -> dict[str, Any]:
        """{"result": document} or {"refused": why}; never raises for a submission."""
        from quizzer.judge.scale.local import judge_one

        sub = Submission.from_wire(wire)
        if self.box is None or self.refused:
            return {"refused": self.refused or "no sandbox"}
        task = self.tasks.get(sub.task_hash)
        if task is None or task.id != sub.task_id:
            return {
                "refused": f"this node was shipped no task {sub.task_id} with content hash "
                f"{sub.task_hash[:12]}"
            }
        try:
            return {"result": judge_one(sub, self.tasks, self.box)}
        except QuizzerError as exc:  # judge_one turns these into documents; belt and braces
            return {"result": not_judged(sub, str(exc), node=self.node)}

    def close(self) -> None:
        if self.box is not None:
            self.box.close()
        shutil.rmtree(self.root, ignore_errors=True)

"""The judge service's jobs on a Ray cluster (`quizzer server run --backend ray`).

Called by `quizzer.judge.service` in place of its local sandboxes. One `RayBackend` per
(sandbox, isolation) stays connected with its slots warm between jobs; the tasks a job
needs are shipped once (`RayBackend.add_packs`). A job's files are one batch, judged
one batch at a time (a backend's dispatch loop is not shared between threads); each
result is handed to the job as it finishes. With a ledger, every submission is
recorded first, as `quizzer judge --ledger` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from quizzer.bank.models import Coding
from quizzer.judge.scale.batch import packs_for, run_batch
from quizzer.judge.scale.ledger import Ledger
from quizzer.judge.scale.ray_backend import RayBackend
from quizzer.judge.scale.work import Submission, batch_device


class ClusterJobs:
    def __init__(
        self, address: str | None, ledger: Path | None = None, gpu_share: float = 1.0
    ) -> None:
        self.address = address
        self.ledger = ledger
        #: The share of a GPU each CUDA submission's slot holds (`--gpu-share`).
        self.gpu_share = gpu_share
        self.lock = threading.Lock()
        self._backends: dict[tuple[str, bool], RayBackend] = {}

    def judge(
        self,
        paths: Sequence[Path],
        coding: Coding,
        *,
        sandbox: str,
        allow_weak: bool,
        device: str,
        seed: int | None,
        on_start: Callable[[int], None],
        on_done: Callable[[int, dict], None],
    ) -> list[dict]:
        """Judge `paths` on the cluster; callbacks get each file's index."""
        from quizzer.judge.files import read_submission, shown

        tasks = packs_for([coding])
        digest = next(iter(tasks))
        device = batch_device(device, "ray", self.address)
        subs = [
            Submission.of(
                task_id=coding.id,
                task_hash=digest,
                source=read_submission(path),
                name=shown(path),
                seed=seed,
                device=device,
                backend="ray",
                gpu_share=self.gpu_share,
            )
            for path in paths
        ]
        index = {sub.name: i for i, sub in enumerate(subs)}
        with self.lock:
            backend = self._backend(sandbox, allow_weak)
            backend.add_packs({d: pack for d, (_, pack) in tasks.items()})
            ledger = Ledger(self.ledger) if self.ledger is not None else None
            try:
                return run_batch(
                    subs,
                    backend,
                    ledger,
                    on_start=lambda sub: on_start(index[sub.name]),
                    on_done=lambda sub, doc, node: on_done(index[sub.name], doc),
                )
            finally:
                if ledger is not None:
                    ledger.close()

    def _backend(self, sandbox: str, allow_weak: bool) -> RayBackend:
        key = (sandbox, allow_weak)
        if key not in self._backends:
            self._backends[key] = RayBackend(
                {}, address=self.address, sandbox=sandbox, allow_weak=allow_weak
            )
        return self._backends[key]

    def close(self) -> None:
        backends: list[Any] = list(self._backends.values())
        self._backends.clear()
        for backend in backends:
            backend.close()

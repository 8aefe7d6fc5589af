"""`quizzer screen grade` through the scale-out path (`--backend ray`, `--ledger`): all
solution files of the grading as one batch of `quizzer.judge.scale`.

Called by `quizzer.screen.grader` in place of its thread pool. Every file is recorded
in the ledger before it is judged and its result read back from it, so a grading whose
driver died is finished by grading again with the same ledger: what was judged is not
judged again, and the leaderboard is rebuilt from the stored results. A file that was
not judged (a lost node, no node with full isolation) comes back to the grader as
such, and its candidate's grade is withheld, never scored as a zero.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.bank.models import Coding
from quizzer.judge.result import JudgeResult
from quizzer.screen import sampling
from quizzer.screen.load import LoadedScreen

if TYPE_CHECKING:
    from quizzer.screen.grader import JudgeChoice, OnJudged
    from quizzer.screen.grader import _Job as Job


def judge_scaled(
    loaded: LoadedScreen,
    submissions: Sequence[tuple[str, Path]],
    jobs: list[Job],
    choice: JudgeChoice,
    on_judged: OnJudged | None,
    score: Callable[[Job, JudgeResult, Any, str], None],
) -> None:
    """The jobs as one batch through `quizzer.judge.scale` (`--backend ray` or
    `--ledger`): every file recorded in the ledger before it is judged, results read
    back from it, so a grading whose driver died is finished by running it again."""
    from quizzer.judge.files import read_submission
    from quizzer.judge.scale.backends import open_backend
    from quizzer.judge.scale.batch import run_batch
    from quizzer.judge.scale.ledger import Ledger
    from quizzer.judge.scale.work import Submission, TaskPack, batch_device, pack_task

    tasks: dict[str, tuple[Coding, TaskPack]] = {}
    digest: dict[int, str] = {}  # each job's task (a copy per candidate) -> content hash
    for job in jobs:
        if id(job.task) not in digest:
            pack = pack_task(job.task)
            digest[id(job.task)] = pack.digest
            tasks.setdefault(pack.digest, (job.task, pack))
    device = batch_device(choice.device, choice.backend, choice.address)
    subs, shown = [], []
    for job in jobs:
        candidate = sampling.check_candidate(submissions[job.index][0])
        name = str(job.path.relative_to(submissions[job.index][1]))
        shown.append((candidate, name))
        subs.append(
            Submission.of(
                task_id=job.task.id,
                task_hash=digest[id(job.task)],
                source=read_submission(job.path),
                name=name,
                seed=sampling.judge_seed(loaded.screen.seed, candidate, job.task.id),
                device=device,
                backend=choice.backend,
                gpu_share=choice.gpu_share,
            )
        )
    ledger = Ledger(choice.ledger) if choice.ledger is not None else None
    backend = open_backend(
        choice.backend,
        tasks,
        sandbox=choice.sandbox,
        allow_weak=choice.allow_weak,
        device=device,
        workers=choice.workers if choice.backend == "local" else None,
        address=choice.address,
    )
    finished = 0
    lock = threading.Lock()
    names = {s.key: (s.task_id, c) for s, (c, _) in zip(subs, shown, strict=True)}

    def on_done(sub: Submission, doc: dict, node: str) -> None:
        nonlocal finished
        with lock:
            finished += 1
            if on_judged:
                task_id, candidate = names[sub.key]
                on_judged(candidate, task_id, JudgeResult.model_validate(doc), finished, len(jobs))

    try:
        docs = run_batch(subs, backend, ledger, on_done=on_done)
    finally:
        backend.close()
        if ledger is not None:
            ledger.close()
    partial = loaded.screen.partial_credit
    for job, doc, (_, name) in zip(jobs, docs, shown, strict=True):
        score(job, JudgeResult.model_validate(doc), partial, name)

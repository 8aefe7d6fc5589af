"""`quizzer judge` through the scale-out path: `--backend ray`, `--ledger`, `--resume`.

Called by `quizzer.commands.judge` when one of those options is given (without them
the command judges in-process as before). Reads the files (or, with `--resume`, the
ledger's submissions), opens the backend, runs the batch through
`quizzer.judge.scale.batch` and hands back the result documents, read from the ledger
when there is one. Prints progress on stderr, or `start` and result events with
`--events` (a backend reports whole results, not each check as it finishes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from quizzer.errors import UsageError
from quizzer.escaping import term

if TYPE_CHECKING:
    from quizzer.judge.result import JudgeResult
    from quizzer.judge.scale.work import Submission


@dataclass(frozen=True)
class BatchOptions:
    backend: str
    address: str | None
    ledger: Path | None
    resume: Path | None
    sandbox: str
    allow_weak: bool
    device: str
    seed: int | None
    workers: int | None
    limits: dict[str, float]
    banks: list[Path]
    events: bool
    #: The share of a GPU each CUDA submission's slot holds (Ray fractional GPUs).
    gpu_share: float = 1.0


def judge_batch(
    files: Sequence[Path], task_id: str | None, opts: BatchOptions
) -> list[JudgeResult]:
    """Judge `files` (or finish `opts.resume`) on the chosen backend, with a ledger where
    asked. `quizzer judge` has already checked the backend and address."""
    from quizzer.bank.loader import load_bank
    from quizzer.commands.judge import emit_event, find_task
    from quizzer.judge.files import read_submission, shown
    from quizzer.judge.result import JudgeResult
    from quizzer.judge.scale.backends import open_backend
    from quizzer.judge.scale.batch import packs_for, resume_subs, run_batch
    from quizzer.judge.scale.ledger import Ledger
    from quizzer.judge.scale.work import Submission, batch_device

    if opts.ledger and opts.resume:
        raise UsageError("--resume continues a ledger and records into it; drop --ledger")
    if opts.resume is not None and (files or task_id):
        raise UsageError("--resume judges what the ledger holds; drop the files and --task")
    if opts.resume is None and (not files or task_id is None):
        raise UsageError("give the files to judge and --task ID (or --resume LEDGER)")
    ledger = Ledger(opts.resume, must_exist=True) if opts.resume is not None else None
    try:
        banks = list(opts.banks)
        if ledger is not None and not banks:
            stored = ledger.meta("banks")
            banks = [Path(b) for b in stored] if isinstance(stored, list) else []
        bank = load_bank(banks or None)
        if ledger is not None:
            tasks = packs_for(list(bank.tasks()))
            subs = resume_subs(ledger, {d: t for d, (t, _) in tasks.items()})
            used = {s.task_hash for s in subs}
            tasks = {d: v for d, v in tasks.items() if d in used}
        else:
            assert task_id is not None
            coding = find_task(bank, task_id)
            tasks = packs_for([coding])
            digest = next(iter(tasks))
            device = batch_device(opts.device, opts.backend, opts.address)
            subs = [
                Submission.of(
                    task_id=coding.id,
                    task_hash=digest,
                    source=read_submission(f),
                    name=shown(f),
                    seed=opts.seed,
                    device=device,
                    backend=opts.backend,
                    gpu_share=opts.gpu_share,
                    limits=opts.limits,
                )
                for f in files
            ]
            if opts.ledger is not None:  # made only once everything it records is known
                ledger = Ledger(opts.ledger, must_exist=False)
                ledger.set_meta("banks", [str(b.resolve()) for b in banks])
        backend = open_backend(
            opts.backend,
            tasks,
            sandbox=opts.sandbox,
            allow_weak=opts.allow_weak,
            device=opts.device,
            workers=opts.workers,
            address=opts.address,
            note=lambda text: typer.echo(term(text), err=True),
        )
        total, finished = len(subs), 0
        place: dict[str, int] = {}
        for number, sub in enumerate(subs, start=1):
            place.setdefault(sub.key, number)

        def on_start(sub: Submission) -> None:
            if opts.events:
                index = place[sub.key]
                emit_event({"event": "start", "file": sub.name, "index": index, "total": total})

        def on_done(sub: Submission, doc: dict, node: str) -> None:
            nonlocal finished
            finished += 1
            if opts.events:
                emit_event(doc)
            elif total > 1:
                status = str(doc.get("status", "error")).upper()
                where = f" on {node[:12]}" if node and node != "local" else ""
                typer.echo(f"[{finished}/{total}] {term(sub.name)}: {status}{where}", err=True)

        try:
            docs = run_batch(subs, backend, ledger, on_start=on_start, on_done=on_done)
        finally:
            backend.close()
    finally:
        if ledger is not None:
            ledger.close()
    return [JudgeResult.model_validate(d) for d in docs]

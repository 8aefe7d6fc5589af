"""A batch of submissions through a backend, recorded in a ledger.

Called by `quizzer judge` (with `--backend ray`, `--ledger` or `--resume`) and by
`quizzer screen grade`. Every submission is written to the ledger before it is
dispatched, and a result counts only once the ledger holds it: the documents handed
back are read from the ledger, so reports, JUnit and the leaderboard are rebuilt from
it, and a batch resumed after its driver died finishes exactly what is missing.
Without a ledger the batch still deduplicates by key and keeps results in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

from quizzer.bank.models import Coding
from quizzer.errors import UsageError
from quizzer.judge.scale.backends import Backend
from quizzer.judge.scale.ledger import Ledger
from quizzer.judge.scale.work import Submission, TaskPack, pack_task

#: Called as each submission finishes: (submission, result document, node).
OnDone = Callable[[Submission, dict, str], None]


def packs_for(tasks: Sequence[Coding]) -> dict[str, tuple[Coding, TaskPack]]:
    """Each task with its pack, keyed by the pack's content hash."""
    out = {}
    for task in tasks:
        pack = pack_task(task)
        out[pack.digest] = (task, pack)
    return out


def run_batch(
    subs: Sequence[Submission],
    backend: Backend,
    ledger: Ledger | None = None,
    *,
    on_start: Callable[[Submission], None] | None = None,
    on_done: OnDone | None = None,
) -> list[dict]:
    """Judge `subs` (those the ledger does not hold as done) and return one result
    document per submission, in order. A submission given twice (same key) is judged
    once; each copy's document names its own file."""
    lock = threading.Lock()
    results: dict[str, dict] = {}
    if ledger is not None:
        ledger.add(subs)
        ledger.reopen_not_judged([s.key for s in subs])
        for row in ledger.rows([s.key for s in subs]):
            if row.state == "done" and row.result is not None:
                results[row.submission.key] = row.result
    todo = list({s.key: s for s in subs if s.key not in results}.values())

    def sent(sub: Submission) -> None:
        if ledger is not None:
            ledger.dispatched(sub.key)
        if on_start is not None:
            with lock:
                on_start(sub)

    def done(sub: Submission, doc: dict, node: str) -> None:
        if ledger is not None:
            ledger.store(sub.key, doc, node)
        with lock:
            results.setdefault(sub.key, doc)
            if on_done is not None:
                on_done(sub, doc, node)

    if todo:
        backend.judge(todo, sent, done)
    if ledger is not None:
        for row in ledger.rows([s.key for s in subs]):
            if row.result is not None:
                results[row.submission.key] = row.result
    missing = [s.name for s in subs if s.key not in results]
    if missing:  # a backend must answer for every submission; fail closed if not
        raise RuntimeError(f"the {backend.name} backend returned no result for {missing[:5]}")
    return [_named(results[s.key], s.name) for s in subs]


def _named(doc: dict, name: str) -> dict:
    """`doc` as the result of the file called `name` (a duplicate's document)."""
    return doc if doc.get("submission") == name else {**doc, "submission": name}


def resume_subs(ledger: Ledger, tasks: Mapping[str, Coding]) -> list[Submission]:
    """Every submission the ledger holds, checked against the bank as it is now: a
    task whose content changed since the batch started is refused (its results would
    not be the ones the batch asked for)."""
    rows = ledger.rows()
    if not rows:
        raise UsageError(f"{ledger.path} holds no submissions; nothing to resume")
    by_id = {task.id: digest for digest, task in tasks.items()}
    for row in rows:
        sub = row.submission
        if sub.task_hash not in tasks:
            now = by_id.get(sub.task_id)
            what = (
                f"has changed since the batch started (content hash {sub.task_hash[:12]}, "
                f"now {now[:12]})"
                if now
                else "is not in the bank (give the --bank folders the batch used)"
            )
            raise UsageError(
                f"{ledger.path}: task {sub.task_id} {what}; start a new ledger to judge "
                "against the bank as it is now"
            )
    return [row.submission for row in rows]

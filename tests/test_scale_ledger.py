"""The ledger and the batch seam, without Ray: every submission is written before it
is dispatched, a result is stored once, a batch resumed after a crash judges exactly
what is missing, and a backend's verdicts come back from the ledger. The backend here
is a small recording one over plain data (what it returns is data, not a verdict);
the real local backend and the real judge are in the last tests."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from quizzer.errors import UsageError
from quizzer.judge.scale.batch import resume_subs, run_batch
from quizzer.judge.scale.ledger import Ledger
from quizzer.judge.scale.work import Submission, not_judged, pack_task
from tests.judge_support import TASKS, task


def sub(text: str, seed: int = 1, name: str | None = None, task_hash: str = "t" * 64) -> Submission:
    return Submission(
        task_id="simple-nn",
        task_hash=task_hash,
        source=text.encode(),
        name=name or f"{text}.py",
        seed=seed,
    )


class Recording:
    """A backend that answers every submission with a document naming it, and can
    stop (as a dying driver would) after `stop_after` results."""

    name = "recording"

    def __init__(self, stop_after: int | None = None) -> None:
        self.sent: list[str] = []
        self.stop_after = stop_after

    def judge(self, subs, on_sent, on_result):
        for s in subs:
            if self.stop_after is not None and len(self.sent) >= self.stop_after:
                raise KeyboardInterrupt  # the driver dies mid-batch
            on_sent(s)
            self.sent.append(s.key)
            on_result(s, {"status": "pass", "submission": s.name, "seed": s.seed}, "n1")

    def close(self):
        pass


def test_a_submission_is_written_before_it_is_dispatched(tmp_path: Path):
    ledger = Ledger(tmp_path / "l.db")
    seen: list[tuple[str, str]] = []

    class Peeking(Recording):
        def judge(self, subs, on_sent, on_result):
            for s in subs:
                # a second connection, as a process reading after a crash would
                other = sqlite3.connect(tmp_path / "l.db")
                before = other.execute("SELECT state FROM submissions WHERE key=?", (s.key,))
                seen.append(("before", before.fetchone()[0]))
                on_sent(s)
                after = other.execute("SELECT state FROM submissions WHERE key=?", (s.key,))
                seen.append(("sent", after.fetchone()[0]))
                other.close()
                on_result(s, {"status": "fail", "submission": s.name}, "n1")

    run_batch([sub("a"), sub("b")], Peeking(), ledger)
    assert seen == [("before", "pending"), ("sent", "dispatched")] * 2
    assert {r.state for r in ledger.rows()} == {"done"}
    assert [r.node for r in ledger.rows()] == ["n1", "n1"]


def test_the_ledger_is_in_wal_mode(tmp_path: Path):
    Ledger(tmp_path / "l.db").close()
    mode = sqlite3.connect(tmp_path / "l.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_resumed_batch_judges_exactly_what_is_missing_and_writes_no_duplicate(tmp_path):
    subs = [sub(x) for x in "abcde"]
    first = Recording(stop_after=2)
    with pytest.raises(KeyboardInterrupt):
        run_batch(subs, first, Ledger(tmp_path / "l.db"))
    assert len(first.sent) == 2

    ledger = Ledger(tmp_path / "l.db", must_exist=True)
    assert ledger.counts() == {"done": 2, "pending": 3}
    again = Recording()
    docs = run_batch(subs, again, ledger)
    assert again.sent == [s.key for s in subs[2:]]
    assert [d["submission"] for d in docs] == [s.name for s in subs]
    count = sqlite3.connect(tmp_path / "l.db").execute("SELECT COUNT(*) FROM submissions")
    assert count.fetchone()[0] == 5
    # a third run finds everything done and sends nothing
    third = Recording()
    assert run_batch(subs, third, ledger) == docs
    assert third.sent == []


def test_a_row_sent_but_not_stored_is_sent_again_on_resume(tmp_path: Path):
    ledger = Ledger(tmp_path / "l.db")
    s = sub("a")
    ledger.add([s])
    ledger.dispatched(s.key)  # the driver died with the call in flight
    again = Recording()
    run_batch([s], again, ledger)
    assert again.sent == [s.key]
    [row] = ledger.rows()
    assert (row.state, row.attempts) == ("done", 2)


def test_results_are_idempotent_by_submission_task_and_seed(tmp_path: Path):
    ledger = Ledger(tmp_path / "l.db")
    a, same, other_seed = sub("a", 1), sub("a", 1, name="copy.py"), sub("a", 2)
    assert a.key == same.key != other_seed.key
    assert ledger.add([a, same, other_seed]) == 2
    assert ledger.store(a.key, {"status": "pass"}, "n1") is True
    assert ledger.store(a.key, {"status": "fail"}, "n2") is False  # the first one stays
    [row] = ledger.rows([a.key])
    assert (row.result, row.node) == ({"status": "pass"}, "n1")


def test_a_duplicate_file_is_judged_once_and_reported_under_each_name(tmp_path: Path):
    backend = Recording()
    docs = run_batch([sub("a"), sub("a", name="copy.py")], backend, Ledger(tmp_path / "l.db"))
    assert len(backend.sent) == 1
    assert [d["submission"] for d in docs] == ["a.py", "copy.py"]


def test_the_ledger_is_safe_across_threads(tmp_path: Path):
    ledger = Ledger(tmp_path / "l.db")
    subs = [sub(str(i)) for i in range(40)]
    ledger.add(subs)

    def store(part):
        for s in part:
            ledger.dispatched(s.key)
            ledger.store(s.key, {"status": "pass"}, "n")

    threads = [threading.Thread(target=store, args=(subs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ledger.counts() == {"done": 40}


def test_resume_of_a_missing_ledger_is_a_usage_error_naming_it(tmp_path: Path):
    with pytest.raises(UsageError, match=r"--resume .*nope\.db: no such ledger"):
        Ledger(tmp_path / "nope.db", must_exist=True)


def test_a_file_that_is_not_a_ledger_is_refused_with_its_name(tmp_path: Path):
    bad = tmp_path / "notes.db"
    bad.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(UsageError, match=r"notes\.db: not a quizzer ledger"):
        Ledger(bad)


def test_resume_refuses_a_task_that_changed_since_the_batch_started(tmp_path: Path):
    coding = task("simple-nn")
    digest = pack_task(coding).digest
    ledger = Ledger(tmp_path / "l.db")
    ledger.add([sub("a", task_hash=digest), sub("b", task_hash="0" * 64)])
    with pytest.raises(UsageError, match=r"task simple-nn has changed since the batch started"):
        resume_subs(ledger, {digest: coding})


def test_a_task_pack_hash_covers_its_reference_and_variants(tmp_path: Path):
    coding = task("simple-nn")
    pack = pack_task(coding)
    assert set(pack.files) == {coding.reference, *(v.path for v in coding.variants)}
    changed = type(pack)(pack.task_id, pack.model, {**pack.files, coding.reference: b"# edited"})
    assert changed.digest != pack.digest
    assert (TASKS / "simple-nn" / coding.reference).read_bytes() == pack.files[coding.reference]


def test_a_not_judged_document_is_an_infrastructure_error_never_a_verdict():
    from quizzer.judge.result import JudgeResult

    doc = JudgeResult.model_validate(not_judged(sub("a"), "the node was lost"))
    assert doc.infrastructure is True
    assert doc.status.value == "error"
    assert "the node was lost" in (doc.message or "")

"""The seam between a batch and where it is judged: the `Backend` protocol, and
`open_backend`, the one place that picks one (`local` or `ray`).

Called by `quizzer.judge.scale.batch`'s callers (`quizzer judge`, `quizzer screen
grade`). A backend takes plain `Submission`s, says when it sends each one (`on_sent`:
the ledger writes that first) and hands back each result document with the node that
judged it (`on_result`). It never decides a verdict itself: a backend that cannot judge
a submission hands back a `not_judged` document (error, infrastructure), which no
screen scores as the candidate's zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from quizzer.bank.models import Coding
from quizzer.judge.scale.choice import check_backend
from quizzer.judge.scale.work import Submission, TaskPack

OnSent = Callable[[Submission], None]
OnResult = Callable[[Submission, dict, str], None]


class Backend(Protocol):
    name: str

    def judge(self, subs: Sequence[Submission], on_sent: OnSent, on_result: OnResult) -> None:
        """Judge every submission of `subs`; `on_result` fires exactly once for each."""
        ...

    def close(self) -> None: ...


def open_backend(
    name: str,
    tasks: Mapping[str, tuple[Coding, TaskPack]],
    *,
    sandbox: str,
    allow_weak: bool,
    device: str,
    workers: int | None,
    address: str | None = None,
    note: Callable[[str], None] | None = None,
) -> Backend:
    """The backend called `name` for tasks keyed by their pack's digest. `local`
    judges on this machine's sandbox with `workers` threads; `ray` connects to the
    cluster at `address` (or `RAY_ADDRESS`, or starts one on this machine)."""
    check_backend(name, address)
    if name == "local":
        from quizzer.judge.sandbox import open_sandbox
        from quizzer.judge.scale.local import LocalBackend

        used = "cpu" if device == "auto" else device
        if device == "auto":
            from quizzer.judge.device import resolve_device

            used = resolve_device(device)
        box = open_sandbox(sandbox, allow_weak=allow_weak, device=used, workers=workers or 1)
        coding = {digest: task for digest, (task, _) in tasks.items()}
        return LocalBackend(coding, box, workers=workers or 1)
    from quizzer.judge.scale.ray_backend import RayBackend

    packs = {digest: pack for digest, (_, pack) in tasks.items()}
    return RayBackend(
        packs, address=address, sandbox=sandbox, allow_weak=allow_weak, workers=workers, note=note
    )

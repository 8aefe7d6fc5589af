"""The Ray backend: a batch judged on the slots of a Ray cluster.

Opened by `quizzer.judge.scale.backends.open_backend` (`--backend ray`). The driver
(this module) ships the tasks once through the object store, starts one actor
(`quizzer.judge.scale.actor.JudgeSlot`) per worker slot, pinned to a node, and sends
each submission as one actor call of plain data; `ray.wait` collects the results as
they finish.

- Placement: a CPU slot holds one CPU and never a GPU; a GPU slot holds one CPU and a
  share of a GPU (`Submission.gpu`, fractional where a small model allows), and is put
  only on a node that advertises GPUs. Slots are spread over the alive nodes.
- Fail closed: a slot whose node cannot give full isolation says so when asked if it
  is ready; it is stopped and that node judges nothing. When no node may judge a kind
  of work, that work is handed back as not judged (error, infrastructure).
- Retries: a result document is final, whatever its verdict (fail, error, a limit
  hit): it is never sent again. Only a lost actor or node (or a slot that stops
  answering) sends the submission again, to a fresh slot on an alive node, at most
  `MAX_RETRIES` times; after that it is handed back as not judged, which no screen
  scores as the candidate's zero.
Ray is imported here and in the actor only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from quizzer.errors import SandboxError, UsageError
from quizzer.judge.scale.backends import OnResult, OnSent
from quizzer.judge.scale.work import MAX_RETRIES, Submission, TaskPack, not_judged

#: Seconds a new slot may take to start its sandbox (torch imports, warm parent).
READY_TIMEOUT_S = 300.0
#: A call not answered within its wall limit times this, plus the slack, is lost.
CALL_FACTOR = 4.0
CALL_SLACK_S = 120.0

Kind = tuple[float, str]  # (GPU share, device)


@dataclass
class _Slot:
    handle: Any
    node: str
    kind: Kind
    ready: Any = None
    #: The call in flight: (object ref, submission, deadline).
    call: tuple[Any, Submission, float] | None = None


@dataclass
class _Work:
    queue: deque[Submission] = field(default_factory=deque)
    attempts: dict[str, int] = field(default_factory=dict)


class RayBackend:
    name = "ray"

    def __init__(
        self,
        packs: dict[str, TaskPack],
        *,
        address: str | None,
        sandbox: str,
        allow_weak: bool,
        workers: int | None = None,
        note: Callable[[str], None] | None = None,
        nodes: Collection[str] | None = None,
    ) -> None:
        """`nodes`: judge only on these node ids (default: every alive node)."""
        if sandbox == "none":
            raise SandboxError(
                "--backend ray with --sandbox none would run candidates' code with no "
                "isolation inside Ray workers, which can reach the cluster's ports; "
                "choose --sandbox process, docker or auto",
                title="sandbox",
            )
        self.ray = connect(address)
        self.sandbox = sandbox
        self.allow_weak = allow_weak
        self.workers = workers
        self.note = note or (lambda text: print(text, file=sys.stderr))
        if (address or os.environ.get("RAY_ADDRESS")) and not _token_auth():
            self.note(
                "note: RAY_AUTH_MODE is not 'token': anyone who reaches this cluster's "
                "ports can run code on it (see docs/scale.md)"
            )
        self.slots: list[_Slot] = []
        self.packs: dict[str, TaskPack] = {}
        self.bank: Any = None
        self.add_packs(packs)
        self.only = set(nodes) if nodes is not None else None
        self.refused: dict[str, str] = {}  # node -> why it may not judge
        self.lost: set[str] = set()
        #: Every slot that started: its node, kind and the GPU ids Ray gave it.
        self.placed: list[dict[str, Any]] = []

    def add_packs(self, packs: dict[str, TaskPack]) -> None:
        """Ship these tasks too (the judge service meets new tasks as it runs). The
        bank goes once through the object store; idle slots, which lack the new
        tasks, are stopped, and new slots start with all of them."""
        if self.bank is not None and set(packs) <= set(self.packs):
            return
        self.packs.update(packs)
        wired = {
            d: {"task_id": p.task_id, "model": p.model, "files": p.files}
            for d, p in self.packs.items()
        }
        self.bank = self.ray.put(wired)  # every slot reads it from the store
        for slot in [s for s in self.slots if s.call is None]:
            self._stop(slot)

    def _wall(self, sub: Submission) -> float:
        """The submission's wall limit: its override, else its task's."""
        if "wall_s" in sub.limits:
            return float(sub.limits["wall_s"])
        pack = self.packs.get(sub.task_hash)
        try:
            return float(json.loads(pack.model)["spec"]["limits"]["wall_s"]) if pack else 60.0
        except (KeyError, TypeError, ValueError):
            return 60.0

    # --- placement --------------------------------------------------------------------

    def _nodes(self) -> list[dict[str, Any]]:
        alive = [n for n in self.ray.nodes() if n.get("Alive")]
        return [
            n
            for n in alive
            if n["NodeID"] not in self.refused
            and n["NodeID"] not in self.lost
            and (self.only is None or n["NodeID"] in self.only)
            and n.get("Resources", {}).get("CPU", 0) >= 1
        ]

    def _free(self, node: dict[str, Any], kind: Kind) -> int:
        """Slots of `kind` that `node` can still take, by what our slots hold."""
        mine = [s for s in self.slots if s.node == node["NodeID"]]
        cpus = int(node["Resources"].get("CPU", 0)) - len(mine)
        if kind[0] <= 0:
            return max(0, cpus)
        gpus = node["Resources"].get("GPU", 0) - sum(s.kind[0] for s in mine)
        return max(0, min(cpus, int(gpus / kind[0] + 1e-9)))

    def _start(self, kind: Kind, want: int) -> list[_Slot]:
        """Up to `want` new slots of `kind`, spread over the nodes with room."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from quizzer.judge.scale.actor import JudgeSlot

        remote = self.ray.remote(JudgeSlot)
        started: list[_Slot] = []
        while len(started) < want:
            nodes = [n for n in self._nodes() if self._free(n, kind) > 0]
            if not nodes:
                break
            # CPU work goes first to nodes without GPUs; then to the least loaded
            nodes.sort(
                key=lambda n: (
                    kind[0] <= 0 and n["Resources"].get("GPU", 0) > 0,
                    sum(s.node == n["NodeID"] for s in self.slots),
                )
            )
            node = nodes[0]["NodeID"]
            handle = remote.options(
                num_cpus=1,
                num_gpus=kind[0],
                max_restarts=0,
                max_task_retries=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
            ).remote(self.bank, self.sandbox, self.allow_weak, kind[1])
            slot = _Slot(handle, node, kind)
            slot.ready = handle.ready.remote()
            self.slots.append(slot)
            started.append(slot)
        return self._handshake(started)

    def _start_or_make_room(self, kind: Kind, want: int) -> list[_Slot]:
        """`_start`; when that gives a kind of work no slot at all, idle slots of other
        kinds (warm from an earlier batch, holding a GPU node's CPU) are stopped to
        make room, so that one kind of work never starves another."""
        started = self._start(kind, want) if want > 0 else []
        if started or any(s.kind == kind for s in self.slots) or want <= 0:
            return started
        idle = [s for s in self.slots if s.kind != kind and s.call is None]
        if kind[0] > 0:
            gpu_nodes = {n["NodeID"] for n in self._nodes() if n["Resources"].get("GPU", 0)}
            idle = [s for s in idle if s.node in gpu_nodes]
        for slot in idle:
            self._stop(slot)
            started = self._start(kind, want)
            if started:
                break
        return started

    def _handshake(self, slots: list[_Slot]) -> list[_Slot]:
        """The slots that answered ready with full isolation; the others are stopped
        (a refusing node is never used again)."""
        refs = [s.ready for s in slots]
        done, _ = self.ray.wait(refs, num_returns=len(refs), timeout=READY_TIMEOUT_S)
        ok = []
        for slot in slots:
            reason = None
            if slot.ready not in done:
                reason = f"did not start within {READY_TIMEOUT_S:g} s"
            else:
                try:
                    info = self.ray.get(slot.ready)
                    reason = info.get("refused")
                    self.placed.append({**info, "kind": slot.kind})
                except self.ray.exceptions.RayError as exc:
                    first = str(exc).strip().splitlines()[-1:] or [""]
                    reason = f"lost while starting ({type(exc).__name__}: {first[0][:300]})"
                    self.lost.add(slot.node)
            if reason:
                if slot.node not in self.lost:
                    self.refused[slot.node] = reason
                self.note(f"node {slot.node[:12]} does not judge: {reason}")
                self._stop(slot)
            else:
                ok.append(slot)
        return ok

    def _stop(self, slot: _Slot) -> None:
        if slot in self.slots:
            self.slots.remove(slot)
        with contextlib.suppress(Exception):  # already gone with its node
            self.ray.kill(slot.handle)

    # --- the batch ----------------------------------------------------------------------

    def judge(self, subs: Sequence[Submission], on_sent: OnSent, on_result: OnResult) -> None:
        work: dict[Kind, _Work] = {}
        # GPU work first: its slots need the GPU nodes' CPUs too, which CPU slots
        # started first could take
        for sub in sorted(subs, key=lambda s: s.gpu <= 0):
            work.setdefault((sub.gpu, sub.device), _Work()).queue.append(sub)
        for kind, todo in work.items():
            if kind[0] > 0 and self.ray.cluster_resources().get("GPU", 0) <= 0:
                self._give_up(todo, "no node of the Ray cluster advertises a GPU", on_result)
                continue
            have = sum(s.kind == kind for s in self.slots)  # warm from an earlier batch
            cap = self.workers or len(todo.queue)
            self._start_or_make_room(kind, min(cap, len(todo.queue)) - have)
        while any(w.queue for w in work.values()) or any(s.call for s in self.slots):
            for kind, todo in work.items():
                idle = [s for s in self.slots if s.kind == kind and s.call is None]
                if todo.queue and not any(s.kind == kind for s in self.slots):
                    cap = self.workers or len(todo.queue)
                    idle = self._start_or_make_room(kind, min(cap, len(todo.queue)))
                    if not idle:
                        why = "; ".join(f"{n[:12]}: {r}" for n, r in self.refused.items())
                        self._give_up(todo, _no_node(kind, why), on_result)
                        continue
                for slot in idle:
                    if not todo.queue:
                        break
                    sub = todo.queue.popleft()
                    on_sent(sub)
                    deadline = time.monotonic() + CALL_SLACK_S + CALL_FACTOR * self._wall(sub)
                    slot.call = (slot.handle.judge.remote(sub.to_wire()), sub, deadline)
            calls = {s.call[0]: s for s in self.slots if s.call is not None}
            if not calls:
                continue
            ready, _ = self.ray.wait(list(calls), num_returns=1, timeout=1.0)
            for ref in ready:
                self._collect(calls[ref], work, on_result)
            now = time.monotonic()
            for slot in [s for s in self.slots if s.call and s.call[2] < now]:
                self._lost(slot, work, on_result, "stopped answering")

    def _collect(self, slot: _Slot, work: dict[Kind, _Work], on_result: OnResult) -> None:
        assert slot.call is not None
        ref, sub, _ = slot.call
        try:
            answer = self.ray.get(ref)
        except (
            self.ray.exceptions.RayActorError,
            self.ray.exceptions.NodeDiedError,
            self.ray.exceptions.ObjectLostError,
            self.ray.exceptions.WorkerCrashedError,
        ) as exc:
            self._lost(slot, work, on_result, type(exc).__name__)
            return
        except self.ray.exceptions.RayTaskError as exc:  # a bug in the slot: not a verdict
            slot.call = None
            on_result(
                sub, not_judged(sub, f"the slot failed: {exc}"[:500], node=slot.node), slot.node
            )
            return
        slot.call = None
        if "result" in answer:
            on_result(sub, answer["result"], slot.node)
            return
        reason = str(answer.get("refused"))
        self.refused[slot.node] = reason
        self.note(f"node {slot.node[:12]} refused to judge: {reason}")
        self._stop(slot)
        work[slot.kind].queue.appendleft(sub)  # not sent anywhere that judged it

    def _lost(self, slot: _Slot, work: dict[Kind, _Work], on_result: OnResult, why: str) -> None:
        """The slot died or hangs: its submission goes to another slot, at most
        MAX_RETRIES times, then it is handed back as not judged."""
        assert slot.call is not None
        _, sub, _ = slot.call
        slot.call = None
        if not any(n["NodeID"] == slot.node for n in self.ray.nodes() if n.get("Alive")):
            self.lost.add(slot.node)
        self._stop(slot)
        todo = work[slot.kind]
        tries = todo.attempts.get(sub.key, 0) + 1
        todo.attempts[sub.key] = tries
        self.note(f"lost the slot judging {sub.name} on node {slot.node[:12]} ({why}); try {tries}")
        if tries > MAX_RETRIES:
            message = (
                f"the slot judging it was lost {tries} times (last: {why} on node "
                f"{slot.node[:12]}); this is the cluster's problem, not the submission's: "
                "judge it again"
            )
            on_result(sub, not_judged(sub, message, node=slot.node), slot.node)
            return
        todo.queue.appendleft(sub)
        self._start(slot.kind, 1)

    def _give_up(self, todo: _Work, why: str, on_result: OnResult) -> None:
        while todo.queue:
            sub = todo.queue.popleft()
            on_result(sub, not_judged(sub, why), "")

    def close(self) -> None:
        closing = []
        for slot in list(self.slots):
            with contextlib.suppress(Exception):
                closing.append(slot.handle.close.remote())
        if closing:
            self.ray.wait(closing, num_returns=len(closing), timeout=30)
        for slot in list(self.slots):
            self._stop(slot)


def connect(address: str | None) -> Any:
    """Ray, connected to the cluster at `address` (or `RAY_ADDRESS`; with neither, one
    started on this machine). A missing Ray is a usage error that says how to add it."""
    try:
        import ray
    except ImportError:
        raise UsageError(
            "--backend ray needs Ray: pip install 'quizzer[ray]' (on every node)"
        ) from None
    if not ray.is_initialized():
        # log_to_driver off: a worker's prints must never reach this process's stdout,
        # which may be carrying --json or --events.
        address = address or os.environ.get("RAY_ADDRESS") or None
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    return ray


def _token_auth() -> bool:
    """Whether this driver talks to Ray with token authentication (recent Rays turn it
    on by themselves for a local cluster, or when a token file exists)."""
    try:  # Ray's own answer: private, so the environment is the fallback
        from ray._private.authentication.authentication_utils import is_token_auth_enabled

        return bool(is_token_auth_enabled())
    except Exception:
        return os.environ.get("RAY_AUTH_MODE", "").lower() == "token"


def cluster_device(address: str | None) -> str:
    """`--device auto` on a cluster: cuda when some node advertises a GPU, else cpu."""
    ray = connect(address)
    return "cuda" if ray.cluster_resources().get("GPU", 0) > 0 else "cpu"


def _no_node(kind: Kind, why: str) -> str:
    what = f"a GPU share of {kind[0]:g}" if kind[0] > 0 else "a CPU"
    text = f"no node of the Ray cluster with {what} may judge (each needs full isolation)"
    return f"{text}: {why}" if why else text

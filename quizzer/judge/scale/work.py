"""What a submission travels as, and how the bank travels: plain data only.

Called by `quizzer.judge.scale.batch` (the driver), the backends and the Ray actor. A
`Submission` is one judgement (task id and content hash, source bytes, seed, device,
limits); its `key` (submission hash, task hash, seed) is the ledger's identity, so a
result is stored once however often a batch is resumed. A `TaskPack` is one coding task
as the judge needs it on another machine: its validated model as JSON and the bytes of
the files it names (the reference solution, the known-bad variants). Its hash covers
all of that, so a node whose bank differs refuses to judge instead of giving another
task's verdict. No torch, no Ray.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from quizzer import __version__
from quizzer.bank.models import Coding
from quizzer.errors import BankError

#: How often a submission is sent again after the actor or node judging it was lost.
MAX_RETRIES = 2


@dataclass(frozen=True)
class Submission:
    task_id: str
    #: `TaskPack.digest` of the task this is judged against.
    task_hash: str
    source: bytes
    #: The file as the user named it; messages and reports show it.
    name: str
    seed: int
    #: What the checks run on: auto, cpu or cuda.
    device: str = "cpu"
    #: Overrides of the task's sandbox limits ({"wall_s": 10.0}).
    limits: dict[str, float] = field(default_factory=dict)
    #: The share of a GPU the submission's slot holds (0: it never holds one). Kept
    #: apart from `device` so that placement can be tested where no GPU exists.
    gpu: float = 0.0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source).hexdigest()

    @property
    def key(self) -> str:
        return f"{self.sha256}:{self.task_hash}:{self.seed}"

    def to_wire(self) -> dict:
        """The actor call's argument: JSON types and bytes, nothing else."""
        return {
            "task_id": self.task_id,
            "task_hash": self.task_hash,
            "source": self.source,
            "name": self.name,
            "seed": self.seed,
            "device": self.device,
            "limits": dict(self.limits),
        }

    @classmethod
    def of(
        cls,
        *,
        task_id: str,
        task_hash: str,
        source: bytes,
        name: str,
        seed: int | None,
        device: str,
        backend: str,
        gpu_share: float = 1.0,
        limits: dict[str, float] | None = None,
    ) -> Submission:
        """A submission as `quizzer judge`, the judge service and `screen grade` send
        one: a fresh seed when none is given (reported in the result), and the one GPU
        rule: CUDA work on a Ray cluster holds `gpu_share` of a GPU (`--gpu-share`);
        nothing else holds any. `device` is a batch's (`batch_device`)."""
        import secrets

        return cls(
            task_id=task_id,
            task_hash=task_hash,
            source=source,
            name=name,
            seed=secrets.randbelow(2**31) if seed is None else seed,
            device=device,
            limits=dict(limits or {}),
            gpu=gpu_share if device == "cuda" and backend == "ray" else 0.0,
        )

    @classmethod
    def from_wire(cls, data: dict) -> Submission:
        return cls(
            task_id=str(data["task_id"]),
            task_hash=str(data["task_hash"]),
            source=bytes(data["source"]),
            name=str(data["name"]),
            seed=int(data["seed"]),
            device=str(data["device"]),
            limits={str(k): float(v) for k, v in dict(data["limits"]).items()},
        )


def batch_device(device: str, backend: str, address: str | None) -> str:
    """`--device` as a batch's submissions carry it. On a Ray cluster `auto` is decided
    once for the batch by the cluster's nodes (cuda when one advertises a GPU); on this
    machine each judgement decides it."""
    if backend == "ray" and device == "auto":
        from quizzer.judge.scale.ray_backend import cluster_device

        return cluster_device(address)
    return device


@dataclass(frozen=True)
class TaskPack:
    task_id: str
    #: The validated task as JSON (`Coding.model_dump_json`).
    model: str
    #: Files the task names, by their path relative to its YAML file.
    files: dict[str, bytes]

    @property
    def digest(self) -> str:
        body = json.dumps(
            {
                "model": json.loads(self.model),
                "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(self.files.items())},
            },
            sort_keys=True,
        )
        return hashlib.sha256(body.encode()).hexdigest()


def pack_task(task: Coding) -> TaskPack:
    """`task` with the bytes of its reference solution and known-bad variants."""
    names = [task.reference, *(v.path for v in task.variants)]
    files: dict[str, bytes] = {}
    if task.source_file is not None:
        folder = task.source_file.parent
        for name in names:
            path = folder / name
            try:
                files[name] = path.read_bytes()
            except OSError as exc:
                raise BankError(f"task {task.id}: cannot read {path}: {exc.strerror}") from None
    return TaskPack(task.id, task.model_dump_json(), files)


def unpack_task(pack: TaskPack, root: Path) -> Coding:
    """The task of `pack`, its files written under `root` (a folder of its own)."""
    folder = root / pack.digest[:16]
    for name, data in pack.files.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise BankError(f"task {pack.task_id}: file {name!r} lies outside its folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    task = Coding.model_validate_json(pack.model)
    return task.with_source(folder / "task.yaml")


def not_judged(sub: Submission, message: str, *, node: str = "", sandbox: str = "") -> dict:
    """The result document of a submission that could not be judged for a reason that
    is not the submission's (a lost node, retries spent, no node that may judge it):
    status error, `infrastructure` true, every check skipped. Built on the trusted
    side, without torch."""
    from quizzer.judge.result import (
        CheckResult,
        DeviceInfo,
        JudgeResult,
        SandboxInfo,
        Status,
        TaskInfo,
        Timings,
        Versions,
    )

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "unknown"
    text = f"not judged: {message}"[:2000]
    result = JudgeResult(
        status=Status.ERROR,
        message=f"infrastructure: {text}",
        submission=sub.name,
        sha256=sub.sha256,
        task=TaskInfo(id=sub.task_id, class_name=""),
        device=DeviceInfo(requested=sub.device, used=sub.device if sub.device != "auto" else "cpu"),
        sandbox=SandboxInfo(name=sandbox or "none", protections=[]),
        seed=sub.seed,
        versions=Versions(
            quizzer=__version__, python=platform.python_version(), torch=torch_version
        ),
        timings=Timings(total_s=0.0),
        checks=[CheckResult(name="infrastructure", status=Status.ERROR, message=text)],
        output=f"node {node}" if node else "",
        infrastructure=True,
    )
    return result.model_dump(mode="json")

"""The Docker sandbox: each run in a warm container, through the docker SDK.

Called by the judge through `make_sandbox("docker")`. A container has no network,
a read-only root, a size-limited tmpfs as scratch, all capabilities dropped,
`no-new-privileges`, memory/pids/CPU limits, the unprivileged uid 65534, and GPUs only
when the device is CUDA. Its pid 1 is the warm parent (`zygote.py docker`, see
`zygote_docker.py`), which forks a fresh child per run and resets the container after
it. Containers are reused only while that reset leaves nothing behind; any doubt (a
timeout at the judge's side, a garbled frame, leftovers, a dead parent) retires the
container. One container per `--workers` slot.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import struct
import threading
import time
from typing import Any, get_args

from quizzer.bank.models import Limits
from quizzer.errors import SandboxError
from quizzer.judge.sandbox import appdir
from quizzer.judge.sandbox import image as images
from quizzer.judge.sandbox.base import LimitName, RunOutcome, RunRequest
from quizzer.judge.sandbox.view import WORKER_SCRIPT, python_view, sandbox_env

HEAD = struct.Struct(">cI")
MUX = struct.Struct(">BxxxI")  # docker's attach stream: stream id, 3 pad bytes, length
#: Memory the warm parent itself needs (torch imported), on top of the run's limit.
PARENT_MB = 768
#: Processes of the warm parent on top of the run's limit.
PARENT_PIDS = 8
#: How long the judge waits past the wall limit before it retires a silent container.
GRACE_S = 5.0
START_TIMEOUT_S = 180.0
LABEL = "org.quizzer.sandbox"
APP_DIR = "/opt/quizzer"


def client_or_error(timeout: float = 10.0) -> Any:
    """A connected docker client, or a SandboxError that says how to get one."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - docker is a dependency
        raise SandboxError("the docker SDK is not installed", title="docker") from exc
    try:
        client = docker.from_env(timeout=int(timeout))  # type: ignore[attr-defined]
        client.ping()
        return client
    except Exception as exc:
        raise SandboxError(
            f"no Docker engine can be reached ({exc}). Start one (`dockerd`, or "
            "`systemctl start docker`), set DOCKER_HOST, or use `--sandbox process`.",
            title="docker",
        ) from exc


class _Broken(Exception):
    """The container cannot be trusted to run another submission."""


class _Container:
    def __init__(
        self,
        client: Any,
        image: str,
        kind: tuple[str, str | None],
        limits: Limits,
        device: str,
        worker: str,
        app: str,
    ) -> None:
        view = python_view()
        binds = [(app, APP_DIR)]  # staged copies (appdir.py): the warm parent, the worker
        entry = f"{APP_DIR}/worker/{os.path.basename(worker)}"
        tmpfs = {"/tmp": f"rw,nosuid,nodev,size={max(64, 4 * limits.file_mb)}m,mode=1777"}
        if kind[0] == "host":
            python, sys_path = view.executable, list(view.sys_path)
            binds += [(path, path) for path in view.ro_binds]
            # An empty image has no /lib -> usr/lib links: mount the targets there too.
            binds += [(os.path.realpath(link), link) for link, _ in view.symlinks]
            for mask in view.masks:
                tmpfs[mask] = "ro,size=4k"
        else:
            python, sys_path = kind[1] or "/usr/local/bin/python3", []
        args = [python, "-I", "-S" if sys_path else "-s", f"{APP_DIR}/zygote.py", "docker"]
        args += [entry, json.dumps(sys_path)]
        volumes = [f"{src}:{dst}:ro" for src, dst in binds if os.path.exists(src)]
        import docker.types

        requests = []
        if device == "cuda":
            requests.append(docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]]))
        self.client = client
        self.key = (limits.memory_mb, limits.processes, limits.file_mb, device)
        memory = (limits.memory_mb + PARENT_MB) << 20  # lowered by _fit_memory once warm
        host_config = client.api.create_host_config(
            binds=volumes,
            tmpfs=tmpfs,
            network_mode="none",
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=memory,
            memswap_limit=memory,
            pids_limit=limits.processes + PARENT_PIDS,
            nano_cpus=1_000_000_000,
            shm_size=max(16, 4 * limits.file_mb) << 20,
            ipc_mode="private",
            ulimits=[docker.types.Ulimit(name="core", soft=0, hard=0)],
            device_requests=requests or None,
            auto_remove=True,
            init=False,
        )
        # Not detached + stdin_open makes the SDK set StdinOnce: when the judge goes
        # away its attach closes, stdin ends, the warm parent exits, and Docker
        # removes the container (auto_remove).
        created = client.api.create_container(
            image,
            command=args,
            user="65534:65534",
            working_dir="/tmp",
            environment=sandbox_env(),
            stdin_open=True,
            labels={LABEL: "1", f"{LABEL}.judge-pid": str(os.getpid())},
            host_config=host_config,
        )
        self.container = client.containers.get(created["Id"])
        try:
            raw = client.api.attach_socket(
                self.container.id, params={"stdin": 1, "stdout": 1, "stream": 1}
            )
            self.sock: socket.socket = getattr(raw, "_sock", raw)
            self._raw = raw
            self.buf = bytearray()
            self.container.start()
            kind_, data = self._frame(time.monotonic() + START_TIMEOUT_S)
            ready = json.loads(data) if kind_ == b"H" else {}
            if not ready.get("ready"):
                raise _Broken("the warm parent did not say it was ready")
            self._fit_memory(client, ready.get("memory_used"), limits.memory_mb)
        except Exception as exc:
            logs = ""
            with contextlib.suppress(Exception):
                logs = self.container.logs(stdout=False, stderr=True).decode(errors="replace")[
                    -1500:
                ]
            self.destroy()
            raise SandboxError(
                f"the sandbox container did not start: {exc} {logs}", title="docker"
            ) from exc

    def _fit_memory(self, client: Any, parent_used: object, run_mb: int) -> None:
        """Lower the container's memory limit from its start-up headroom to what the
        warm parent uses plus the run's limit: every run forks from the parent, so its
        own pages (copies included) get `run_mb`, as in a cgroup of its own. Where the
        parent could not read its use, the headroom (`PARENT_MB`) stays."""
        if not isinstance(parent_used, int) or parent_used <= 0:
            return
        memory = parent_used + (run_mb << 20)
        if memory < (run_mb + PARENT_MB) << 20:
            client.api.update_container(self.container.id, mem_limit=memory, memswap_limit=memory)

    # -- docker's multiplexed attach stream, then our frames inside it --------------------

    def _fill(self, deadline: float) -> None:
        """Append the next chunk of the container's stdout to `buf`."""
        while True:
            head = self._recv_exact(MUX.size, deadline)
            stream, size = MUX.unpack(head)
            data = self._recv_exact(size, deadline)
            if stream == 1:
                self.buf += data
                return

    def _recv_exact(self, n: int, deadline: float) -> bytes:
        parts, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            chunk = self.sock.recv(min(n - got, 1 << 20))
            if not chunk:
                raise _Broken("the container's stream ended")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _frame(self, deadline: float, max_size: int = 1 << 22) -> tuple[bytes, bytes]:
        while len(self.buf) < HEAD.size:
            self._fill(deadline)
        kind, size = HEAD.unpack(bytes(self.buf[: HEAD.size]))
        if size > max_size:
            raise _Broken("oversized frame")
        while len(self.buf) < HEAD.size + size:
            self._fill(deadline)
        data = bytes(self.buf[HEAD.size : HEAD.size + size])
        del self.buf[: HEAD.size + size]
        return kind, data

    def _send(self, kind: bytes, data: bytes) -> None:
        self.sock.settimeout(30)
        self.sock.sendall(HEAD.pack(kind, len(data)) + data)

    # -- one run ------------------------------------------------------------------------------

    def run(self, request: RunRequest, reply_cap: int, seccomp: bool) -> tuple[dict, bytes, bytes]:
        limits = request.limits
        job = {
            "limits": limits.model_dump(),
            "env": sandbox_env(),
            "seccomp": seccomp,
            "reply_cap": reply_cap,
            "payload_len": len(request.payload),
        }
        self._send(b"J", json.dumps(job).encode())
        for start in range(0, len(request.payload), 1 << 20):
            self._send(b"P", request.payload[start : start + (1 << 20)])
        reply, output = bytearray(), bytearray()
        deadline = time.monotonic() + limits.wall_s + GRACE_S
        while True:
            kind, data = self._frame(deadline)
            if kind == b"R":
                reply += data
            elif kind == b"O":
                output += data
            elif kind == b"S":
                return json.loads(data), bytes(reply[:reply_cap]), bytes(output)
            else:
                raise _Broken(f"unexpected frame {kind!r}")
            if len(reply) > reply_cap or len(output) > (limits.output_kb << 10) + (1 << 16):
                raise _Broken("the container sent more than the caps allow")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.sock.close()
        with contextlib.suppress(Exception):
            self.container.remove(force=True)


class DockerSandbox:
    """See the module docstring. `run` is thread-safe; at most `workers` containers."""

    name = "docker"

    def __init__(
        self,
        *,
        client: Any = None,
        image: str = images.IMAGE,
        device: str = "cpu",
        workers: int = 1,
        worker: str | os.PathLike[str] = WORKER_SCRIPT,
        seccomp: bool = True,
        reply_cap: int = 256 << 20,
    ) -> None:
        self.client = client or client_or_error()
        self.image = image
        kind = images.image_kind(self.client, image)
        if kind is None:
            if image != images.IMAGE:
                raise SandboxError(
                    f"no image {image}; build it with `quizzer sandbox build-image`", title="docker"
                )
            images.build_host_image(self.client, image)
            kind = images.image_kind(self.client, image)
        self.kind = kind or ("host", None)
        self.device = device
        self.worker = os.path.abspath(worker)
        self.seccomp = seccomp
        self.reply_cap = reply_cap
        self.slots = threading.BoundedSemaphore(max(1, workers))
        self.idle: queue.SimpleQueue[_Container] = queue.SimpleQueue()
        self.live: set[_Container] = set()
        self.lock = threading.Lock()
        remove_stale(self.client)
        appdir.remove_stale()
        self.app: str | None = None  # staged by the first container, removed by close()
        self.closed = False

    def protections(self) -> tuple[str, ...]:
        out = ["docker", "network:none", "read-only-root", "scratch:tmpfs", "cap-drop:ALL"]
        out += ["no-new-privileges", "user:65534", "cgroup:memory,pids,cpu", "env:clean"]
        out += ["rlimits:cpu,fsize,nproc,core,nofile,sigpending,msgqueue", "seccomp:docker-default"]
        if self.seccomp:
            out.append("seccomp")
        return tuple(out)

    def start(self) -> None:
        """Warm one container now with the default limits."""
        with self.slots:
            self.idle.put(self._new(Limits(), self.device))

    def _new(self, limits: Limits, device: str) -> _Container:
        with self.lock:
            if self.closed:
                raise SandboxError("the sandbox was closed", title="docker sandbox")
            if self.app is None:
                self.app = appdir.stage(self.worker)
            app = self.app
        c = _Container(self.client, self.image, self.kind, limits, device, self.worker, app)
        with self.lock:
            closed = self.closed
            if not closed:
                self.live.add(c)
        if closed:  # closed while this container was being made: `close` missed it
            c.destroy()
            raise SandboxError("the sandbox was closed", title="docker sandbox")
        return c

    def _retire(self, c: _Container) -> None:
        with self.lock:
            self.live.discard(c)
        c.destroy()

    def _take(self, limits: Limits, device: str) -> _Container:
        key = (limits.memory_mb, limits.processes, limits.file_mb, device)
        mismatched = []
        try:
            while True:
                c = self.idle.get_nowait()
                if c.key == key:
                    return c
                mismatched.append(c)
        except queue.Empty:
            pass
        finally:
            for c in mismatched:
                self._retire(c)
        return self._new(limits, device)

    def run(self, request: RunRequest) -> RunOutcome:
        with self.slots:
            c = self._take(request.limits, request.device)
            started = time.monotonic()
            keep = False
            try:
                status, reply, output = c.run(request, self.reply_cap, self.seccomp)
                keep = not status.get("problems")
            except (_Broken, TimeoutError, OSError, ValueError) as exc:
                wall = time.monotonic() - started
                hit: LimitName | None = "wall" if isinstance(exc, TimeoutError) else None
                return RunOutcome(
                    b"", None, signal.SIGKILL, wall, hit, f"[sandbox] {exc}", self.protections()
                )
            finally:
                if keep:
                    self.idle.put(c)
                else:
                    self._retire(c)
        text = output.decode("utf-8", errors="replace")
        if status.get("limit") == "output":
            text += f"\n[sandbox] output stopped at the {request.limits.output_kb} KiB limit"
        sig = status.get("signal")
        named = status.get("limit")
        limit: LimitName | None = named if named in get_args(LimitName) else None
        if limit is None and sig == signal.SIGXCPU:
            limit = "cpu"
        elif limit is None and sig == signal.SIGXFSZ:
            limit = "file_size"
        return RunOutcome(
            reply=reply,
            exit_code=status.get("exit_code"),
            signal=sig,
            wall_s=time.monotonic() - started,
            limit_hit=limit,
            output=text,
            protections=self.protections(),
        )

    def close(self) -> None:
        with self.lock:
            self.closed = True
            live = list(self.live)
            self.live.clear()
            app, self.app = self.app, None
        for c in live:
            c.destroy()
        if app is not None:
            appdir.remove(app)


def remove_stale(client: Any) -> None:
    """Remove sandbox containers left by judges that are no longer running."""
    with contextlib.suppress(Exception):
        for c in client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True):
            pid = int(c.labels.get(f"{LABEL}.judge-pid", "0") or 0)
            alive = pid > 0 and os.path.exists(f"/proc/{pid}")
            if not alive:
                c.remove(force=True)

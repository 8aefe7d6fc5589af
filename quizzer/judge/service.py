"""The judge service: a resident process that keeps torch, the banks and warm
sandboxes loaded between judgements, so that a judgement costs what its checks cost.

Started by `quizzer server run` (in the foreground) or `quizzer server start` (in the
background, by the CLI or the practice UI), one per user, on a Unix socket in the
user's runtime folder (0600, in a 0700 folder), or on TCP only with a token. It stops
itself after `idle_s` without a request or a running judgement. Clients
(`quizzer.judge.client`) never import torch.

It judges exactly as `quizzer judge` does in-process (the same runner, the same
result documents and exit codes): it is a cache of warm state, not another judge.
With `--backend ray` its jobs go to a Ray cluster instead (`quizzer.judge.scale`). The
files it is asked to judge are read by path, as the CLI would read them, by the same
user; over TCP a request sends the sources themselves. The trust boundary is the
sandbox, as everywhere: the service runs no submitted code itself.

HTTP/1.1, JSON bodies:
- `GET /health`: `{"ok": true, "pid", "version", "workers", "jobs", "uptime_s",
  "idle_s", "backend"}`.
- `POST /judge`: judge now; with `"stream": true` the answer is one JSON object per
  line (`start`, `check`, each result document, then `end` with the exit code),
  otherwise `{"results": [...], "exit": N}` when all are done.
- `POST /jobs`: the same request, answered at once with `{"id"}`; `GET /jobs/ID`
  (`?wait=1` to wait) gives its state, events so far and results; `GET
  /jobs/ID/events` streams them; `DELETE /jobs/ID` cancels it (files not yet started
  are not judged; a file being judged finishes, and its result is dropped).
- `POST /shutdown`.

A request: `files` (paths) or `sources` (`[{"name", "text"}]`), `task`, and optionally
`banks` (folders), `bank_env` (the client's `QUIZZER_BANK`), `device`, `seed`,
`sandbox`, `allow_weak`, `workers`, `limits` (`["wall=5", ...]`).
"""

from __future__ import annotations

import contextlib
import hmac
import http.server
import itertools
import json
import os
import socketserver
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from quizzer import __version__
from quizzer.errors import QuizzerError, UsageError

#: Seconds without a request or a running judgement before the service stops.
DEFAULT_IDLE_S = 900.0
#: Files judged at once, over all clients.
DEFAULT_WORKERS = 2
MAX_BODY = 4 << 20


@dataclass
class Job:
    id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    cancelled: bool = False
    exit: int | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def emit(self, event: dict[str, Any]) -> None:
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def finish(self, exit_code: int) -> None:
        with self.changed:
            self.exit = exit_code
            self.done = True
            self.events.append({"event": "end", "exit": exit_code, "cancelled": self.cancelled})
            self.changed.notify_all()

    def state(self) -> dict[str, Any]:
        with self.changed:
            return {
                "id": self.id,
                "state": "cancelled" if self.cancelled else "done" if self.done else "running",
                "exit": self.exit,
                "events": list(self.events),
                "results": list(self.results),
            }


class JudgeService:
    """What stays warm: loaded banks (reloaded when their files change), one sandbox
    per (kind, device, isolation), and the judge's own caches (reference plans)."""

    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        idle_s: float = DEFAULT_IDLE_S,
        *,
        backend: str = "local",
        address: str | None = None,
        ledger: Path | None = None,
        gpu_share: float = 1.0,
    ) -> None:
        import torch  # noqa: F401 - the point of the service: imported once, here

        #: `--backend ray`: jobs are judged on a Ray cluster (quizzer.judge.scale).
        self.cluster: Any = None
        if backend == "ray":
            from quizzer.judge.scale.cluster_jobs import ClusterJobs

            self.cluster = ClusterJobs(address, ledger, gpu_share)
        elif address or ledger:
            raise UsageError("--address and --ledger are for --backend ray")

        self.workers = workers
        self.idle_s = idle_s
        self.started = time.monotonic()
        self.last_activity = time.monotonic()
        self.slots = threading.BoundedSemaphore(workers)
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.running = 0
        self._ids = itertools.count(1)
        self._banks: dict[tuple, tuple[tuple, Any]] = {}
        self._sandboxes: dict[tuple, Any] = {}

    # --- state ----------------------------------------------------------------

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def idle_for(self) -> float:
        with self.lock:
            if self.running:
                return 0.0
        return time.monotonic() - self.last_activity

    def health(self) -> dict[str, Any]:
        return {
            "ok": True,
            "pid": os.getpid(),
            "version": __version__,
            "workers": self.workers,
            "jobs": self.running,
            "uptime_s": round(time.monotonic() - self.started, 1),
            "idle_s": self.idle_s,
            "backend": "ray" if self.cluster is not None else "local",
        }

    def bank(self, dirs: list[str] | None, bank_env: str | None) -> Any:
        """The bank the client would load, loaded once and again only when one of its
        files changed (their paths, sizes and modification times)."""
        from quizzer.bank.loader import find_yaml_files, load_bank
        from quizzer.bank.locate import ENV_VAR, bank_dirs

        env = {ENV_VAR: bank_env} if bank_env else {}
        roots = bank_dirs([Path(d) for d in dirs] if dirs else None, env=env)
        files = []
        for root in roots:
            try:
                found = find_yaml_files(Path(root)) if Path(root).is_dir() else [Path(root)]
            except OSError:
                found = []
            for f in found:
                try:
                    stat = f.stat()
                    files.append((str(f), stat.st_size, stat.st_mtime_ns))
                except OSError:
                    files.append((str(f), -1, -1))
        key = (tuple(str(r) for r in roots),)
        signature = tuple(files)
        with self.lock:
            cached = self._banks.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        loaded = load_bank([Path(d) for d in dirs] if dirs else None, env=env)
        with self.lock:
            self._banks[key] = (signature, loaded)
        return loaded

    def sandbox(self, name: str, device: str, allow_weak: bool) -> Any:
        from quizzer.judge.sandbox import open_sandbox

        key = (name, device, allow_weak)
        with self.lock:
            box = self._sandboxes.get(key)
            if box is None:
                box = open_sandbox(name, allow_weak=allow_weak, device=device, workers=self.workers)
                self._sandboxes[key] = box
        return box

    def close(self) -> None:
        with self.lock:
            boxes, self._sandboxes = list(self._sandboxes.values()), {}
        for box in boxes:
            box.close()
        if self.cluster is not None:
            self.cluster.close()

    # --- judging ----------------------------------------------------------------

    def submit(self, request: dict[str, Any]) -> Job:
        """Check the request (a usage error raises here, before any job exists) and
        judge it in the background."""
        prepared = self._prepare(request)
        job = Job(str(next(self._ids)))
        with self.lock:
            self.jobs[job.id] = job
            self.running += 1
            while len(self.jobs) > 256:  # keep the latest finished jobs for polling
                oldest = next(iter(self.jobs))
                if not self.jobs[oldest].done:
                    break
                self.jobs.pop(oldest)
        threading.Thread(target=self._run, args=(job, *prepared), daemon=True).start()
        return job

    def _prepare(self, request: dict[str, Any]) -> tuple:
        from quizzer.commands.judge import find_task
        from quizzer.judge.device import resolve_device
        from quizzer.judge.files import refusal
        from quizzer.judge.sandbox.limits import parse_overrides, with_limits

        task_id = request.get("task")
        if not isinstance(task_id, str):
            raise UsageError("the request names no task")
        paths, cleanup = self._paths(request)
        refused = [why for why in map(refusal, paths) if why]
        if refused:
            raise UsageError("; ".join(refused))
        banks = request.get("banks") or None
        if banks is not None and not all(isinstance(b, str) for b in banks):
            raise UsageError("banks must be a list of folders")
        bank = self.bank(banks, request.get("bank_env"))
        limits = [str(x) for x in request.get("limits") or []]
        coding = with_limits(find_task(bank, task_id), parse_overrides(limits))
        device = str(request.get("device") or "auto")
        seed = request.get("seed")
        if seed is not None and (not isinstance(seed, int) or not 0 <= seed < 2**31):
            raise UsageError("seed must be a whole number from 0 to 2**31 - 1")
        sandbox = str(request.get("sandbox") or "auto")
        allow_weak = bool(request.get("allow_weak"))
        if self.cluster is not None:  # the cluster's nodes open their own sandboxes
            box = {"sandbox": sandbox, "allow_weak": allow_weak}
        else:
            box = self.sandbox(sandbox, resolve_device(device), allow_weak)
        workers = max(1, min(int(request.get("workers") or 1), self.workers))
        return paths, coding, box, device, seed, workers, cleanup

    def _paths(self, request: dict[str, Any]) -> tuple[list[Path], Callable[[], None]]:
        files, sources = request.get("files"), request.get("sources")
        if isinstance(files, list) and files and all(isinstance(f, str) for f in files):
            return [Path(f) for f in files], lambda: None
        if isinstance(sources, list) and sources:
            folder = Path(tempfile.mkdtemp(prefix="quizzer-sources-"))
            paths = []
            for index, item in enumerate(sources):
                if not (isinstance(item, dict) and isinstance(item.get("text"), str)):
                    raise UsageError("each source needs its text")
                name = Path(str(item.get("name") or f"submission-{index}.py")).name
                target = folder / f"{index}-{name}"
                target.write_text(item["text"], encoding="utf-8")
                paths.append(target)

            def cleanup() -> None:
                import shutil

                shutil.rmtree(folder, ignore_errors=True)

            return paths, cleanup
        raise UsageError("the request names no files (or sources) to judge")

    def _run_on_cluster(self, job: Job, paths, coding, box, device, seed) -> list[dict]:
        """The job as one batch on the Ray cluster: start events and result documents
        as the local path emits them (no per-check events; cancelling stops nothing
        already sent)."""
        from quizzer.judge.files import shown

        total = len(paths)

        def on_start(index: int) -> None:
            file = shown(paths[index])
            job.emit({"event": "start", "file": file, "index": index + 1, "total": total})

        def on_done(index: int, doc: dict) -> None:
            if not job.cancelled:
                job.emit(doc)

        return self.cluster.judge(
            paths, coding, device=device, seed=seed, on_start=on_start, on_done=on_done, **box
        )

    def _run(self, job: Job, paths, coding, box, device, seed, workers, cleanup) -> None:
        from quizzer.judge.files import shown
        from quizzer.judge.runner import Options, judge_file
        from quizzer.judge.sandbox.pool import crashed

        options = Options(device=device, seed=seed)
        total = len(paths)
        docs: list[dict | None] = [None] * total
        lock = threading.Lock()

        def one(index: int, path: Path) -> None:
            if job.cancelled:
                return
            with self.slots:
                if job.cancelled:
                    return
                job.emit(
                    {"event": "start", "file": shown(path), "index": index + 1, "total": total}
                )

                def on_check(check: Any) -> None:
                    job.emit(
                        {
                            "event": "check",
                            "file": shown(path),
                            "check": check.model_dump(mode="json"),
                        }
                    )

                started = time.perf_counter()
                try:
                    result = judge_file(path, coding, box, options, on_check)
                except Exception as exc:  # the judge's own fault: an error result, never a pass
                    result = crashed(path, coding, box, options, exc, time.perf_counter() - started)
            if job.cancelled:
                return
            doc = result.model_dump(mode="json")
            with lock:
                docs[index] = doc
            job.emit(doc)

        try:
            if self.cluster is not None:
                docs = list(self._run_on_cluster(job, paths, coding, box, device, seed))
            else:
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job") as pool:
                    list(pool.map(lambda ip: one(*ip), enumerate(paths)))
            done = [d for d in docs if d is not None]
            job.results = done
            infrastructure = any(d.get("infrastructure") for d in done)
            passed = len(done) == total and all(d.get("status") == "pass" for d in done)
            job.emit(
                {
                    "event": "summary",
                    "total": total,
                    "passed": sum(d.get("status") == "pass" for d in done),
                }
            )
            job.finish(3 if infrastructure else 0 if passed else 1)
        except Exception as exc:  # never leave a client waiting for an end that never comes
            job.emit({"event": "error", "message": f"the judge service failed: {exc}"})
            job.finish(3)
        finally:
            cleanup()
            with self.lock:
                self.running -= 1
            self.touch()


# --- HTTP ---------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the service logs only what goes wrong

    def _service(self) -> JudgeService:
        return self.server.service

    def _authorised(self) -> bool:
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY:
            raise UsageError(f"the request body must be at most {MAX_BODY} bytes")
        data = json.loads(self.rfile.read(length) or b"{}")
        if not isinstance(data, dict):
            raise UsageError("the request body must be a JSON object")
        return data

    def _guard(self) -> bool:
        self._service().touch()
        if not self._authorised():
            self._send(401, {"error": "a token is needed: Authorization: Bearer <token>"})
            return False
        return True

    def do_GET(self) -> None:
        if not self._guard():
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["health"]:
            self._send(200, self._service().health())
        elif len(parts) in (2, 3) and parts[0] == "jobs":
            job = self._service().jobs.get(parts[1])
            if job is None:
                self._send(404, {"error": f"no job {parts[1]}"})
            elif len(parts) == 3 and parts[2] == "events":
                self._stream(job)
            else:
                if "wait=1" in self.path:
                    with job.changed:
                        job.changed.wait_for(lambda: job.done)
                self._send(200, job.state())
        else:
            self._send(404, {"error": f"no such endpoint: GET {self.path}"})

    def do_DELETE(self) -> None:
        if not self._guard():
            return
        parts = self.path.strip("/").split("/")
        job = self._service().jobs.get(parts[1]) if len(parts) == 2 else None
        if job is None or parts[0] != "jobs":
            self._send(404, {"error": f"no such job: {self.path}"})
            return
        job.cancelled = True
        self._send(200, {"id": job.id, "cancelled": True})

    def do_POST(self) -> None:
        if not self._guard():
            return
        path = self.path.strip("/")
        try:
            body = self._body()
            if path == "shutdown":
                self._send(200, {"ok": True})
                threading.Thread(target=self.server.shutdown, daemon=True).start()
                return
            if path not in ("judge", "jobs"):
                self._send(404, {"error": f"no such endpoint: POST {self.path}"})
                return
            job = self._service().submit(body)
        except (QuizzerError, ValueError, TypeError) as exc:
            self._send(400, {"error": str(exc)})
            return
        if path == "jobs":
            self._send(202, {"id": job.id})
        elif body.get("stream"):
            self._stream(job)
        else:
            with job.changed:
                job.changed.wait_for(lambda: job.done)
            self._send(200, {"id": job.id, "results": job.results, "exit": job.exit})

    def _stream(self, job: Job) -> None:
        """Every event of `job`, from its first, one JSON object per line, until `end`;
        a client that goes away cancels nothing (DELETE does)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent = 0
        while True:
            with job.changed:
                job.changed.wait_for(partial(_more_than, job, sent))
                batch = job.events[sent:]
            sent += len(batch)
            try:
                for event in batch:
                    self.wfile.write(json.dumps(event, ensure_ascii=False).encode() + b"\n")
                self.wfile.flush()
            except OSError:
                return
            if any(e.get("event") == "end" for e in batch):
                return


def _more_than(job: Job, seen: int) -> bool:
    return len(job.events) > seen


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True

    service: JudgeService
    token: str | None

    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)  # BaseHTTPRequestHandler expects a (host, port)


class _TcpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    service: JudgeService
    token: str | None


def serve(
    *,
    socket_file: Path | None = None,
    tcp: tuple[str, int] | None = None,
    token: str | None = None,
    workers: int = DEFAULT_WORKERS,
    idle_s: float = DEFAULT_IDLE_S,
    ready: Callable[[str], None] | None = None,
    backend: str = "local",
    address: str | None = None,
    ledger: Path | None = None,
    gpu_share: float = 1.0,
) -> None:
    """Serve until shut down or idle for `idle_s`. TCP only with a token."""
    if tcp is not None and not token:
        raise UsageError("the judge service listens on TCP only with a token (--token-file)")
    service = JudgeService(
        workers=workers,
        idle_s=idle_s,
        backend=backend,
        address=address,
        ledger=ledger,
        gpu_share=gpu_share,
    )
    server: _TcpServer | _UnixServer
    if tcp is not None:
        server = _TcpServer(tcp, _Handler)
        where = f"http://{tcp[0]}:{server.server_address[1]}"
    else:
        assert socket_file is not None
        socket_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if socket_file.exists() or socket_file.is_symlink():
            socket_file.unlink()
        old = os.umask(0o177)
        try:
            server = _UnixServer(str(socket_file), _Handler)
        finally:
            os.umask(old)
        where = str(socket_file)
    server.service = service
    server.token = token

    def watch_idle() -> None:
        while True:
            time.sleep(min(1.0, max(0.05, idle_s / 4)))
            if service.idle_for() >= idle_s:
                server.shutdown()
                return

    threading.Thread(target=watch_idle, daemon=True).start()
    if ready:
        ready(where)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        service.close()
        if socket_file is not None and tcp is None:
            with contextlib.suppress(OSError):
                socket_file.unlink()

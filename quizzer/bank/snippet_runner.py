"""A warm runner for `code_output` snippets: a standalone script (stdlib only) that
`quizzer.bank.snippets` starts as a subprocess for `quizzer bank verify`.

It imports the modules named by `--preload` (torch) and `--warm` once, then reads one JSON request
per line on stdin, forks a fresh child per snippet (its own session, stdin from
/dev/null, stdout and stderr captured, a wall-time limit, the whole process group
killed afterwards) and answers one JSON line per request on its original stdout.
The parent never imports torch; only this process and its children do. Nothing is
run on the parent's side of a fork except imports, so no thread pool exists when it
forks.

Request:  {"id": str, "code": str, "timeout": float}
Reply:    {"id": str, "status": "ok" | "error" | "timeout", "exit_code": int | null,
           "stdout": str, "stderr": str, "seconds": float, "truncated": bool}
First line, once preloading is done: {"ready": true, "errors": [str, ...]}
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import selectors
import signal
import sys
import time
import traceback

MAX_OUTPUT = 256 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preload", action="append", default=[])
    # Imported if they can be: modules snippets would otherwise import lazily, at a
    # cost paid again in every child (torch.optim pulls in torch._dynamo on first use).
    parser.add_argument("--warm", action="append", default=[])
    parser.add_argument("--max-output", type=int, default=MAX_OUTPUT)
    args = parser.parse_args()
    # Keep the reply channel to ourselves: anything else printed goes to stderr.
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    errors = []
    for name in args.preload:
        try:
            importlib.import_module(name)
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    for name in args.warm if not errors else ():
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    reply.write(json.dumps({"ready": True, "errors": errors}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        result = run_one(
            str(request["id"]),
            str(request["code"]),
            float(request.get("timeout", 10.0)),
            args.max_output,
            reply.fileno(),
        )
        reply.write(json.dumps(result) + "\n")


def run_one(name: str, code: str, timeout: float, max_output: int, reply_fd: int) -> dict:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: run the snippet and never return
        os.close(out_r)
        os.close(err_r)
        os.close(reply_fd)
        _child(name, code, out_w, err_w, timeout)
    os.close(out_w)
    os.close(err_w)
    capture = _Capture((out_r, err_r), max_output)
    exited, timed_out = capture.until_exit(pid, start + timeout)
    # Anything the snippet left running (it may hold the pipes open) dies with it.
    _kill_group(pid, reaped=exited is not None)
    status = os.waitpid(pid, 0)[1] if exited is None else exited
    capture.drain()
    capture.close()
    exit_code = os.waitstatus_to_exitcode(status)
    if timed_out:
        result = "timeout"
    elif exit_code == 0 and not capture.truncated:
        result = "ok"
    else:
        result = "error"
    return {
        "id": name,
        "status": result,
        "exit_code": exit_code,
        "stdout": capture.text(out_r),
        "stderr": capture.text(err_r),
        "seconds": round(time.monotonic() - start, 4),
        "truncated": capture.truncated,
    }


class _Capture:
    """Reads a child's stdout and stderr pipes up to a cap, until the child exits."""

    def __init__(self, fds: tuple[int, ...], max_output: int) -> None:
        self.fds = fds
        self.max_output = max_output
        self.chunks: dict[int, list[bytes]] = {fd: [] for fd in fds}
        self.sizes = dict.fromkeys(fds, 0)
        self.truncated = False
        self.selector = selectors.DefaultSelector()
        for fd in fds:
            self.selector.register(fd, selectors.EVENT_READ)

    def until_exit(self, pid: int, deadline: float) -> tuple[int | None, bool]:
        """Read until the child exits, the output cap is hit or the deadline passes.
        Returns (the wait status if the child was reaped here, whether it timed out).
        The child's exit wakes the wait at once through a pidfd (Linux 5.3 and later);
        elsewhere it is noticed within 50 ms."""
        exit_fd = _pidfd(pid)
        if exit_fd is not None:
            self.selector.register(exit_fd, selectors.EVENT_READ)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, True
                wait = left if exit_fd is not None else min(left, 0.05)
                exited = False
                for key, _ in self.selector.select(wait):
                    if key.fd == exit_fd:
                        exited = True
                    else:
                        self._read(int(key.fd))
                if self.truncated:
                    return None, False
                if exited or exit_fd is None:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        return status, False
        finally:
            if exit_fd is not None:
                self.selector.unregister(exit_fd)
                os.close(exit_fd)

    def drain(self) -> None:
        """Read what is left in the pipes without waiting."""
        while not self.truncated and self.selector.get_map():
            ready = self.selector.select(0)
            if not ready:
                return
            for key, _ in ready:
                self._read(int(key.fd))

    def _read(self, fd: int) -> None:
        data = os.read(fd, 65536)
        if not data:
            self.selector.unregister(fd)
            return
        room = self.max_output - self.sizes[fd]
        if len(data) > room:
            self.truncated = True
        self.chunks[fd].append(data[: max(room, 0)])
        self.sizes[fd] += len(data)

    def text(self, fd: int) -> str:
        return b"".join(self.chunks[fd]).decode("utf-8", "replace")

    def close(self) -> None:
        self.selector.close()
        for fd in self.fds:
            os.close(fd)


def _child(name: str, code: str, out_w: int, err_w: int, timeout: float) -> None:
    status = 1
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        try:
            import resource

            cpu = int(timeout) + 2
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        except (ImportError, ValueError, OSError):
            pass
        sys.argv = [f"<{name}>"]
        exec(compile(code, f"<{name}>", "exec"), {"__name__": "__main__"})
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when `pid` exits, where the system has one."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _kill_group(pid: int, reaped: bool) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        # Not a group leader yet (stopped before setsid): kill the child alone, but
        # never a pid that was already reaped and may belong to someone else now.
        if not reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main()

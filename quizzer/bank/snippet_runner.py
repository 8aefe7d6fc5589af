"""A warm runner for `code_output` snippets: a standalone script (stdlib only) that
`quizzer.bank.snippets` starts as a subprocess for `quizzer bank verify`.

It imports the modules named by `--preload` (torch) once, then reads one JSON request
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
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    sizes = {out_r: 0, err_r: 0}
    truncated = timed_out = False
    selector = selectors.DefaultSelector()
    selector.register(out_r, selectors.EVENT_READ)
    selector.register(err_r, selectors.EVENT_READ)
    open_fds = 2
    while open_fds:
        left = start + timeout - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        for key, _ in selector.select(left):
            fd = int(key.fd)
            data = os.read(fd, 65536)
            if not data:
                selector.unregister(fd)
                open_fds -= 1
                continue
            room = max_output - sizes[fd]
            if len(data) > room:
                truncated = True
            chunks[fd].append(data[: max(room, 0)])
            sizes[fd] += len(data)
        if truncated:
            break
    _kill_group(pid)
    _, status = os.waitpid(pid, 0)
    selector.close()
    os.close(out_r)
    os.close(err_r)
    exit_code = os.waitstatus_to_exitcode(status)
    if timed_out:
        result = "timeout"
    elif exit_code == 0 and not truncated:
        result = "ok"
    else:
        result = "error"
    return {
        "id": name,
        "status": result,
        "exit_code": exit_code,
        "stdout": b"".join(chunks[out_r]).decode("utf-8", "replace"),
        "stderr": b"".join(chunks[err_r]).decode("utf-8", "replace"),
        "seconds": round(time.monotonic() - start, 4),
        "truncated": truncated,
    }


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


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        # Not yet a group leader (killed before setsid): kill the child alone.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main()

"""A stand-in for quizzer/judge/worker.py with the same sandbox contract, used by the
sandbox tests: `serve(in_fd, out_fd)` reads one JSON request {"source": ...}, runs the
source as a module, and replies with one JSON line on the reply channel. Standalone
(stdlib + torch), like the real worker."""

import json
import os
import sys

import torch


def serve(in_fd: int, out_fd: int) -> int:
    reply = os.dup(out_fd)
    sys.stdout.flush()
    os.dup2(2, 1)
    chunks = []
    while True:
        chunk = os.read(in_fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    request = json.loads(b"".join(chunks))
    namespace = {"__name__": "submission"}
    result = {"ok": True, "pid": os.getpid(), "uid": os.getuid(), "torch": torch.__version__}
    try:
        exec(compile(request["source"], "submission.py", "exec"), namespace)
        result["answer"] = namespace.get("ANSWER")
    except BaseException as exc:  # noqa: BLE001
        result.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:2000])
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(reply, (json.dumps(result, default=repr) + "\n").encode())
    return 0


if __name__ == "__main__":
    os._exit(serve(0, 1))

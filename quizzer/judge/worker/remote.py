"""The harness's end of a model host's channel: `Remote` sends requests and reads
answers (one at a time, or many pipelined), and turns a malformed answer, an error or
a dead model host into `ChannelBroken`, `HostError` or `HostGone`. Also the plain-data
guards for what a model host returns (`_plain`, `_tensor`) and the frames the harness
sends the judge (`_Frames`). Standalone: stdlib, torch and `wire.py`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

import torch

try:
    from . import wire
except ImportError:  # loaded by path inside the sandbox: harness.py loads the siblings first
    wire = sys.modules["quizzer_worker_wire"]

_Tensor = torch.Tensor
#: One answer of the model host (outputs, gradients, states of the bank's small models).
MAX_ANSWER = 128 << 20


class HostError(Exception):
    """The model host answered a request with an error: the submission's exception, as
    plain data."""

    def __init__(self, info: dict) -> None:
        super().__init__(info.get("message", ""))
        self.info = info


class ChannelBroken(Exception):
    """Bytes on the model host's channel that are not a well-formed answer: the
    submission wrote to it, and nothing more read from it can be trusted."""


class HostGone(Exception):
    """The model host's process ended or closed its channel."""

    def __init__(self, message: str, remote: Remote) -> None:
        super().__init__(message)
        self.remote = remote


def _plain(value: Any, depth: int = 0) -> Any:
    """`value` as JSON-safe plain data: what the model host returned is forwarded to the
    judge only in this form (tensors where data was expected become a description)."""
    if depth > 20:
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value[:1000]]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in list(value.items())[:1000]}
    kind = type(value)
    return {"$type": f"{kind.__module__}.{kind.__qualname__}", "subclass": False}


def _tensor(value: Any, what: str = "the model's output") -> torch.Tensor:
    if type(value) is not _Tensor:
        name = value.get("$type") if isinstance(value, dict) else type(value).__name__
        raise TypeError(f"{what} is {name}, not a plain torch.Tensor")
    return value


def _pack(obj: Any, tensors: list) -> Any:
    if type(obj) is _Tensor:
        tensors.append(obj)
        return {"$t": len(tensors) - 1}
    if isinstance(obj, dict):
        return {k: _pack(v, tensors) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_pack(v, tensors) for v in obj]
    return obj


def ok(answer: dict, op: str | None = None) -> dict:
    """`answer`, or HostError if it is the model host's error (noting the request `op`
    that raised it, so that a message can say what was being done)."""
    if answer["ok"] is not True:
        err = answer.get("error")
        info = _plain(err) if isinstance(err, dict) else {"type": "Error"}
        if op is not None:
            info["op"] = op
        raise HostError(info)
    return answer


class Remote:
    """The harness's end of the model host's channel: one request, one answer."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock, self.pid = sock, pid
        self.output: list[str] = []

    def __call__(self, op: str, **args: Any) -> dict:
        return self.many([(op, args)])[0]

    def many(self, calls: list[tuple[str, dict]], strict: bool = True) -> list[dict]:
        """Send every request, then read every answer: one round trip for all of them.
        A thread writes while this one reads, so neither side can block the other.
        Every answer is read before an error is raised, so the channel stays in step.
        With `strict` off, failed answers come back as they are: pass each to `ok`."""
        frames = []
        for op, args in calls:
            tensors: list = []
            frames.append(wire.encode(_pack({"op": op, **args}, tensors), tensors))
        fd, failed = self.sock.fileno(), []

        def write() -> None:
            try:
                for frame in frames:
                    wire.send(fd, frame)
            except OSError as exc:
                failed.append(exc)

        if len(frames) == 1:  # the model host reads a whole request before it answers
            write()
            answers = [] if failed else [self._read(calls[0][0])]
        else:
            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            try:
                answers = [self._read(op) for op, _ in calls]
            finally:
                writer.join()
        if failed:
            raise HostGone(str(failed[0]), self)
        if not strict:
            return answers
        return [ok(answer, op) for answer, (op, _) in zip(answers, calls, strict=True)]

    def send(self, op: str, **args: Any) -> None:
        """Half of a call: send the request now, read its answer with `receive` after
        other work. Nothing else may be sent in between."""
        tensors: list = []
        try:
            wire.send(self.sock.fileno(), wire.encode(_pack({"op": op, **args}, tensors), tensors))
        except OSError as exc:
            raise HostGone(str(exc), self) from None

    def receive(self, op: str) -> dict:
        """The answer to the request `send` sent."""
        return ok(self._read(op))

    def _read(self, op: str) -> dict:
        try:
            answer = wire.read_frame(self.sock.fileno(), MAX_ANSWER)
        except (OSError, EOFError) as exc:
            raise HostGone(str(exc), self) from None
        except wire.WireError as exc:
            raise ChannelBroken(f"its answer to a {op!r} request was malformed: {exc}") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise ChannelBroken(f"its answer to a {op!r} request is not an answer")
        out = answer.get("output")
        if isinstance(out, str):
            self.output.append(out)
        return answer

    def take_output(self, limit: int) -> str:
        text, self.output = "".join(self.output), []
        return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more)"

    def mirror_death(self) -> None:
        """End this process the way the model host ended (a limit's signal, an exit
        status), so that the sandbox reports it as the submission's own end."""
        status = 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.01)
        else:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            os._exit(3)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
            os._exit(128 + sig)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 3)


class _Frames:
    """Collects tensors while a check's data is turned into JSON for the judge."""

    def __init__(self) -> None:
        self.tensors: list = []

    def put(self, value):
        """A tensor by reference, or the description the model host gave instead."""
        if type(value) is not _Tensor:
            if isinstance(value, dict) and "$type" in value:
                return _plain(value)
            kind = type(value)
            return {"$type": f"{kind.__module__}.{kind.__qualname__}", "subclass": False}
        self.tensors.append(value)
        return {"$t": len(self.tensors) - 1}

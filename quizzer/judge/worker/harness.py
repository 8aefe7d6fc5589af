"""The judge's harness: the sandbox's entry for ONE run. It owns the reply channel, the
request (nonce, probes, labels) and runs every check's sandboxed half (`checks.py`),
and it never runs submitted code: that runs only in the model hosts (`modelhost.py`),
which the harness forks *before* it reads the request and then drives through
`remote.Remote`.

Standalone on purpose: it imports only the standard library and torch (and its
sibling files, by path), because the sandbox loads this folder without quizzer.
Nothing it sends is trusted either: `quizzer.judge.verdicts` decodes it and decides.

What a submission can no longer do (each was done to the single-process worker): read
the nonce or the reply fd from a stack frame and write a forged reply; patch the check
code or the torch functions it calls; read the learning labels. Every fact here is
computed from values the model host returned: gradients are compared with finite
differences of returned outputs at points the harness chose, and the learning check
runs the optimiser here, on returned gradients, with a loss the harness computes from
labels the model host never sees.

Contract with the sandboxes (`quizzer.judge.sandbox`):
- `python -I harness.py`: reads one request on stdin, replies on its original stdout.
- Warm pools: a parent that has imported this module (and so torch) calls `warm_up()`
  once, forks a child per run, which calls `serve(in_fd, out_fd)` and exits with
  `os._exit(serve(...))`. The parent must never initialise CUDA (fork-unsafe).
- The run has two processes (the harness and the model host); whatever kills the model
  host (a limit, a signal, an exit) is mirrored by the harness, so the sandbox sees
  the run end the way the submission's process did.
- Wire format, both ways: see `wire.py`. The reply is frames "hello", one per check,
  then "end", each carrying the request's nonce and a sequence number. Never pickle.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sys
import time
import warnings

warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

try:
    from . import checks, modelhost, remote, wire
except ImportError:  # loaded by path inside the sandbox, beside its siblings
    import importlib.util

    def _sibling(name: str):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
        spec = importlib.util.spec_from_file_location("quizzer_worker_" + name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules["quizzer_worker_" + name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module

    # in dependency order: each file finds the ones before it in sys.modules
    wire = _sibling("wire")
    _sibling("observe")
    _sibling("training")
    _sibling("loophost")
    _sibling("packing")
    _sibling("decodehost")
    modelhost = _sibling("modelhost")
    remote = _sibling("remote")
    _sibling("gradients")
    _sibling("loopchecks")
    _sibling("decodechecks")
    checks = _sibling("checks")

error_info = modelhost.error_info
Job, Remote, _Frames, _plain = checks.Job, remote.Remote, remote._Frames, remote._plain
ChannelBroken, HostError, HostGone = remote.ChannelBroken, remote.HostError, remote.HostGone
encode = wire.encode

_no_grad = torch.no_grad
#: The judge's request (inputs, states, the source).
MAX_REQUEST = 256 << 20


# --- the loop -----------------------------------------------------------------------------


def warm_up() -> None:
    """Pays torch's one-time lazy costs (meta kernels, layers, the first autograd call
    and optimiser steps) so that forked children do not. A warm parent calls it once
    after importing this module."""
    with _no_grad():
        torch.nn.Linear(2, 2).to("meta")(torch.empty(1, 2, device="meta"))
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Dropout(0.1), torch.nn.Linear(8, 3),
    )  # fmt: skip
    net.double().eval()(torch.randn(2, 1, 4, 4, dtype=torch.float64))
    if gpu_build():
        return
    net.float().train()
    for opt in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
        o = opt(net.parameters(), lr=0.01)
        out = net(torch.randn(4, 1, 4, 4))
        loss = F.cross_entropy(out, torch.tensor([0, 1, 2, 0]))
        loss.backward()
        o.step()


def gpu_build() -> bool:
    """Whether this torch can drive a GPU. There a backward pass in the warm parent
    would start autograd's device threads, after which every forked child's backward
    fails ("Unable to handle autograd's threading in combination with fork-based
    multiprocessing"), on CPU runs too. Asks without initialising any device."""
    version = torch.version
    xpu = getattr(torch, "xpu", None)
    return bool(
        getattr(version, "cuda", None)
        or getattr(version, "hip", None)
        or torch.backends.mps.is_built()
        or (xpu is not None and getattr(xpu, "_is_compiled", lambda: False)())
    )


#: Set by the "none" sandbox for CPU runs: the address space this process may add to
#: what it maps once torch is imported (a GPU build of torch maps gigabytes it never
#: touches, so the limit cannot be set before the import).
ADDRESS_SPACE_ENV = "QUIZZER_ADDRESS_SPACE_MB"


def _limit_address_space() -> None:
    budget = os.environ.pop(ADDRESS_SPACE_ENV, "")
    if budget.isdigit():
        import resource

        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + (int(budget) << 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4


def start_host() -> tuple[socket.socket, int]:
    """Fork the model host now, while this process holds nothing secret. This process
    becomes non-dumpable first: a process of the same user then cannot read its memory
    or open its descriptors through /proc (and seccomp denies ptrace anyway)."""
    _prctl(PR_SET_DUMPABLE, 0)
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        theirs.close()
        return mine, pid
    code = 70
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        fd = theirs.detach()
        mine.close()
        os.dup2(fd, 3)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the judge's request is still unread on fd 0
        os.dup2(2, 1)  # fd 1 is the reply channel: prints go to the output instead
        os.closerange(4, max(os.sysconf("SC_OPEN_MAX"), 1024))
        code = modelhost.serve_host(3)
    finally:
        os._exit(code)


def serve(in_fd: int, out_fd: int) -> int:
    """Read one request from `in_fd`, run its checks, write frames to `out_fd`.
    Returns an exit code. Call it in a fresh process that exits afterwards."""
    _limit_address_space()
    sock, pid = start_host()
    fresh_sock, fresh_pid = start_host()  # for the learning check's trained model
    reply = os.dup(out_fd)  # private and non-inheritable; fd 1 becomes output
    sys.stdout.flush()
    os.dup2(2, 1)
    request = wire.read_frame(in_fd, MAX_REQUEST)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    torch.set_num_threads(int(request.get("threads", 1)))
    host, fresh = Remote(sock, pid), Remote(fresh_sock, fresh_pid)
    try:
        return _run(request, host, fresh, reply)
    except HostGone as exc:
        exc.remote.mirror_death()
    return 3


def _run(request: dict, host: remote.Remote, fresh: remote.Remote, reply: int) -> int:
    if request.get("device") == "cuda":  # full float32 precision: the judge compares at 1e-4
        host("precision", allow_tf32=False)
    nonce, seq = request["nonce"], 0
    capture = int(request.get("capture_chars", 500))

    def send(kind: str, header: dict, tensors: list) -> None:
        nonlocal seq
        wire.send(reply, encode({"nonce": nonce, "seq": seq, "kind": kind, **header}, tensors))
        seq += 1

    send("hello", {"python": sys.version.split()[0], "torch": torch.__version__}, [])
    job = Job(request, host, fresh)
    for check in request["checks"]:
        frames = _Frames()
        header: dict = {"name": check["name"], "data": {}}
        started = time.perf_counter()
        try:
            getattr(job, "check_" + check["name"])(check, frames, header["data"])
        except HostGone:
            raise
        except ChannelBroken as exc:
            header["broken"] = str(exc)
            job.loaded = False  # the channel is out of step: end the run here
        except HostError as exc:
            header["error"] = _plain(exc.info)
        except Exception as exc:  # a malformed answer the check could not use
            header["error"] = error_info(exc)
        header["elapsed_s"] = time.perf_counter() - started
        header["output"] = host.take_output(capture)
        try:
            send("check", header, frames.tensors)
        except Exception as exc:
            send("check", {"name": check["name"], "data": {}, "error": error_info(exc)}, [])
        if not job.loaded:  # nothing to check without the class
            break
        if check.get("gate") and checks.gate_failed(check, header, frames.tensors):
            break  # the judge judges nothing after a failed gate
    send("end", {}, [])
    for each in (host, fresh):
        each.sock.close()
        with contextlib.suppress(OSError):
            os.kill(each.pid, signal.SIGKILL)
            os.waitpid(each.pid, 0)
    return 0


def main() -> None:
    code = serve(0, 1)
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()

"""Which device the checks run on: `auto`, `cpu` or `cuda`, resolved without
initialising CUDA in the judge's own process.

Called by `quizzer.judge.runner` (and `quizzer judge --device`). CUDA must never be
initialised in a process that forks (warm worker pools fork), so availability comes
from NVML, which does not create a CUDA context; where NVML cannot answer, a short
child process asks torch instead. Only the worker, a fresh process, touches CUDA.
"""

from __future__ import annotations

import functools
import subprocess
import sys

from quizzer.errors import UsageError

CHOICES = ("auto", "cpu", "cuda")


@functools.cache
def cuda_device_count() -> int:
    """GPUs this torch can use, found without a CUDA context in this process."""
    import torch

    if torch.version.cuda is None:
        return 0
    count = torch.cuda._device_count_nvml()
    if count >= 0:
        return count
    probe = "import torch; print(torch.cuda.device_count())"
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60
        )
        return int(done.stdout.strip() or 0)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0


def resolve_device(requested: str) -> str:
    """`cpu` or `cuda` for `requested`; asking for cuda where there is none is a usage
    error, never a silent CPU run."""
    if requested not in CHOICES:
        raise UsageError(f"unknown device {requested!r}; choose one of {', '.join(CHOICES)}")
    if requested == "cpu":
        return "cpu"
    if requested == "auto" and _no_gpu_device_nodes():
        return "cpu"  # without importing torch: nothing to ask it about
    available = cuda_device_count() > 0
    if requested == "cuda" and not available:
        raise UsageError(
            "--device cuda was asked for, but this machine has no CUDA GPU that torch can use "
            "(torch build: " + _torch_build() + "); use --device cpu or --device auto"
        )
    return "cuda" if available else "cpu"


def _no_gpu_device_nodes() -> bool:
    """True where Linux shows no NVIDIA device node, so no CUDA GPU can be used."""
    from pathlib import Path

    if not sys.platform.startswith("linux"):
        return False
    return not any(Path("/dev").glob("nvidia[0-9]*"))


def _torch_build() -> str:
    import torch

    return f"{torch.__version__}, CUDA {torch.version.cuda or 'not built in'}"

"""What a sandboxed worker may see of this machine's Python: the interpreter, its
standard library, the site-packages that hold torch, and the system's shared libraries.

`python_view()` works this out once from the judge's own interpreter. The process
sandbox turns it into bubblewrap binds and the Docker sandbox into read-only volumes;
both start the sandboxed interpreter with `-I -S` and the `sys_path` given here, so
nothing else of the host (the repository, the bank, $HOME) is on the path or in view.
Installed copies of quizzer inside site-packages are masked: they hold the bundled
bank and its reference solutions.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import site
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

#: Top-level system library folders. Merged-/usr systems make some of them symlinks.
SYSTEM_LIB_DIRS = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32")
#: Read-only extras that torch reads at import time (CPU topology), if present.
OPTIONAL_RO = ("/sys/devices/system/cpu", "/etc/ld.so.cache")


@dataclass(frozen=True)
class PythonView:
    #: The real interpreter binary (symlinks resolved).
    executable: str
    #: `sys.path` for the sandboxed interpreter (stdlib first, then site-packages).
    sys_path: tuple[str, ...]
    #: Host paths to bind read-only at the same place inside the sandbox.
    ro_binds: tuple[str, ...]
    #: Symlinks to recreate inside: (link path, target), e.g. ("/lib", "usr/lib").
    symlinks: tuple[tuple[str, str], ...]
    #: Folders inside the binds to hide behind an empty read-only tmpfs.
    masks: tuple[str, ...]


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _site_dirs() -> list[str]:
    dirs = [d for d in site.getsitepackages() if os.path.isdir(d)]
    spec = importlib.util.find_spec("torch")
    for location in (spec.submodule_search_locations or []) if spec else []:
        parent = str(Path(location).parent)
        if parent not in dirs:
            dirs.append(parent)
    return [os.path.realpath(d) for d in dirs]


@functools.lru_cache(maxsize=1)
def python_view() -> PythonView:
    """The view of the judge's own interpreter (computed once per process)."""
    executable = os.path.realpath(
        sys._base_executable if hasattr(sys, "_base_executable") else sys.executable
    )
    base = os.path.realpath(sys.base_prefix)
    stdlib = os.path.realpath(sysconfig.get_paths(vars={"base": base, "platbase": base})["stdlib"])
    sites = _site_dirs()
    sys_path = [
        os.path.realpath(p)
        for p in sys.path
        if p
        and os.path.realpath(p).startswith(base + "/")
        and not _under(os.path.realpath(p), sites)
    ]
    if stdlib not in sys_path:
        sys_path.insert(0, stdlib)
    sys_path += [d for d in sites if d not in sys_path]

    wanted: list[str] = [executable]
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    soname = sysconfig.get_config_var("INSTSONAME") or ""
    libpython = os.path.join(libdir, soname)
    if soname and os.path.exists(libpython):
        wanted.append(os.path.realpath(libpython))
    wanted += [p for p in sys_path if os.path.exists(p)]

    symlinks: list[tuple[str, str]] = []
    system: list[str] = []
    for d in SYSTEM_LIB_DIRS:
        if os.path.islink(d):
            symlinks.append((d, os.readlink(d)))
        elif os.path.isdir(d):
            system.append(d)
    wanted = system + wanted + [p for p in OPTIONAL_RO if os.path.exists(p)]

    binds: list[str] = []
    for path in sorted(dict.fromkeys(wanted), key=len):
        if not _under(path, binds):
            binds.append(path)
    masks = [os.path.join(d, "quizzer") for d in sites if os.path.isdir(os.path.join(d, "quizzer"))]
    return PythonView(
        executable=executable,
        sys_path=tuple(sys_path),
        ro_binds=tuple(binds),
        symlinks=tuple(symlinks),
        masks=tuple(masks),
    )


@functools.lru_cache(maxsize=4)
def cuda_driver_dirs(view: PythonView | None = None) -> tuple[str, ...]:
    """Folders outside `view` that hold the NVIDIA driver's user-space libraries:
    libcuda, and what it loads only later (the PTX JIT compiler, for one). Container
    images often keep them apart (e.g. /usr/local/nvidia/lib64, reached through
    LD_LIBRARY_PATH or the ld.so cache); a CUDA run needs them in view. Found without
    loading anything: the folders of LD_LIBRARY_PATH and of `ldconfig -p` that hold a
    libcuda.so. Worked out once per process, like `python_view` (each CUDA run builds
    its sandbox anew)."""
    import shutil
    import subprocess

    found: list[str] = []
    for d in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        if d and os.path.isdir(d) and any(n.startswith("libcuda.so") for n in os.listdir(d)):
            found.append(d)
    ldconfig = shutil.which("ldconfig") or (
        "/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None
    )
    if ldconfig:
        try:
            listing = subprocess.run(
                [ldconfig, "-p"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        for line in listing.splitlines():
            if line.strip().startswith("libcuda.so") and "=>" in line:
                found.append(os.path.dirname(line.split("=>", 1)[1].strip()))
    binds = list((view or python_view()).ro_binds)
    out: list[str] = []
    for d in dict.fromkeys(os.path.realpath(d) for d in found):
        if os.path.isdir(d) and not _under(d, binds) and not _under(d, out):
            out.append(d)
    return tuple(out)


#: The worker's entry and zygote scripts (standalone: stdlib + torch) and where they
#: live. The worker's entry loads its sibling files by path, so a sandbox that shows
#: the worker shows its whole folder.
JUDGE_DIR = Path(__file__).resolve().parents[1]
WORKER_SCRIPT = JUDGE_DIR / "worker" / "harness.py"
ZYGOTE_SCRIPT = Path(__file__).resolve().parent / "zygote.py"

#: The environment every sandboxed process starts with: built here, never inherited.
#: Thread counts are pinned so that rlimits and CPU quotas do not break torch.
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def sandbox_env(threads: int = 1, home: str = "/tmp") -> dict[str, str]:
    env = {
        "PATH": "/nonexistent",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        # torch.cuda.is_available() without initialising CUDA in the warm parent.
        "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
        # Each run's scratch (its $HOME) is new, so the driver's JIT cache could never
        # be reused; without it no cache file (nor a lock on one) is needed.
        "CUDA_CACHE_DISABLE": "1",
    }
    env.update({var: str(threads) for var in THREAD_VARS})
    return env

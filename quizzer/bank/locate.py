"""Where the question banks are: the bundled bank, `QUIZZER_BANK`, and `--bank` dirs.

Called by `quizzer.bank.loader.load_bank` and by the CLI. The bundled bank is found
in an installed wheel (`quizzer/_bundled/questions`, put there by the hatch
force-include in pyproject.toml) and in a source checkout (`<repo>/questions`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from quizzer.errors import BankError

#: os.pathsep-separated bank folders; when set (and not empty), they replace the
#: bundled bank.
ENV_VAR = "QUIZZER_BANK"

_PACKAGE = Path(__file__).resolve().parents[1]


def bundled_bank_dir() -> Path:
    """The folder of the bundled bank, in a wheel or in a checkout."""
    installed = _PACKAGE / "_bundled" / "questions"
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / "questions"
    if checkout.is_dir() and (_PACKAGE.parent / "pyproject.toml").is_file():
        return checkout
    raise BankError(
        f"the bundled question bank is missing (looked in {installed} and {checkout}); "
        "reinstall quizzer, or point QUIZZER_BANK at a bank folder"
    )


def is_bundled(path: Path) -> bool:
    """Whether `path` lies inside the bundled bank."""
    try:
        root = bundled_bank_dir()
    except BankError:
        return False
    return path.resolve().is_relative_to(root.resolve())


def env_bank_dirs(env: Mapping[str, str] | None = None) -> tuple[Path, ...] | None:
    """The folders named by `QUIZZER_BANK`, or None when it is unset or empty."""
    value = (os.environ if env is None else env).get(ENV_VAR, "")
    parts = [p for p in value.split(os.pathsep) if p.strip()]
    if not parts:
        return None
    return tuple(Path(p.strip()).expanduser() for p in parts)


def bank_dirs(
    dirs: Sequence[Path] | None = None,
    *,
    include_bundled: bool = True,
    env: Mapping[str, str] | None = None,
) -> tuple[Path, ...]:
    """The bank folders to load, in order: `QUIZZER_BANK` (or else the bundled bank,
    when `include_bundled`), then `dirs`. Each must exist."""
    chosen: list[Path] = []
    from_env = env_bank_dirs(env)
    if from_env is not None:
        chosen.extend(from_env)
    elif include_bundled:
        chosen.append(bundled_bank_dir())
    chosen.extend(Path(d).expanduser() for d in dirs or ())
    seen: set[Path] = set()
    result: list[Path] = []
    for path in chosen:
        if not path.exists():
            origin = f"{ENV_VAR}" if from_env and path in from_env else "--bank"
            raise BankError(f"bank folder {path} (from {origin}) does not exist; check the path")
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            result.append(path)
    if not result:
        raise BankError(
            "no bank to load: the bundled bank is turned off and no folder was given; "
            f"pass --bank DIR or set {ENV_VAR}"
        )
    return tuple(result)

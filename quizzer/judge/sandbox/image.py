"""The Docker sandbox's image: built locally, never pulled.

Two ways, both behind `quizzer sandbox build-image`:
- `host` (default; needs no registry): `docker import` of a tiny tarball that holds
  only empty folders, /etc/passwd and /etc/group. At run time the Docker sandbox
  mounts this machine's interpreter, stdlib and torch read-only into it (the same view
  as the process sandbox), so the image never goes stale against the judge.
- `dockerfile`: `docker build` of `docker/Dockerfile` (python slim + CPU torch) for
  machines that reach an image registry; that image carries its own interpreter.
The image's labels tell the sandbox which kind it is and where its Python lives.
"""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Any

from quizzer.errors import SandboxError

IMAGE = "quizzer-sandbox:latest"
LABEL_ENV = "org.quizzer.sandbox.env"  # "host" or "image"
LABEL_PYTHON = "org.quizzer.sandbox.python"
DOCKERFILE_DIR = Path(__file__).resolve().parents[3] / "docker"

_PASSWD = (
    "root:x:0:0:root:/nonexistent:/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/sbin/nologin\n"
)
_GROUP = "root:x:0:\nnogroup:x:65534:\n"


def _tarball() -> bytes:
    buf = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, mode in (("tmp", 0o1777), ("etc", 0o755), ("opt", 0o755), ("opt/quizzer", 0o755)):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, now
            tar.addfile(info)
        for name, text in (("etc/passwd", _PASSWD), ("etc/group", _GROUP)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, now
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build_host_image(client: Any, tag: str = IMAGE) -> str:
    """`docker import` the minimal root; returns the image id."""
    repo, _, version = tag.partition(":")
    changes = [
        f'LABEL {LABEL_ENV}="host"',
        "USER 65534:65534",
        "WORKDIR /tmp",
    ]
    try:
        client.api.import_image_from_data(
            _tarball(), repository=repo, tag=version or "latest", changes=changes
        )
        return str(client.images.get(tag).id)
    except Exception as exc:
        raise SandboxError(
            f"could not import the sandbox image {tag}: {exc}", title="docker"
        ) from exc


def build_dockerfile_image(client: Any, tag: str = IMAGE, context: Path = DOCKERFILE_DIR) -> str:
    """`docker build` docker/Dockerfile (needs a registry for its base image)."""
    if not (context / "Dockerfile").is_file():
        raise SandboxError(f"no Dockerfile in {context}", title="docker")
    try:
        image, _logs = client.images.build(path=str(context), tag=tag, rm=True, pull=False)
        return str(image.id)
    except Exception as exc:
        raise SandboxError(
            f"docker build of {context / 'Dockerfile'} failed: {exc}. Without access to an "
            "image registry use `quizzer sandbox build-image` (the default, registry-free way).",
            title="docker",
        ) from exc


def image_kind(client: Any, tag: str = IMAGE) -> tuple[str, str | None] | None:
    """("host", None) or ("image", python path) for a built image; None if missing."""
    import docker.errors

    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    labels = image.labels or {}
    env = labels.get(LABEL_ENV, "image")
    return env, labels.get(LABEL_PYTHON)

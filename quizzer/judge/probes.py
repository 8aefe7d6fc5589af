"""The inputs the judge chooses at run time, and the request that carries them.

Called by `quizzer.judge.runner`. Everything random comes from one seed, so a result
can be reproduced with `--seed`, while a submission cannot know its inputs in advance.
The trusted side keeps its own copy of every probe to check the replies against.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import torch

from quizzer.bank.models import Coding, JudgeSpec
from quizzer.errors import JudgeError
from quizzer.judge.tensors import pack
from quizzer.judge.wire import encode_frame

#: Checks computed on the trusted side alone; the worker never sees them.
TRUSTED_ONLY = frozenset({"forbidden_api"})
#: Finite differences step when a model computes in float32 even for float64 input.
EPS_FLOAT32 = 1e-3
GRAD_BATCH = 3
DEVICE_BATCH = 2
CAPTURE_CHARS = 500


def new_seed() -> int:
    return secrets.randbelow(2**31)


def concrete(shape: tuple[int | str, ...], batch: int) -> tuple[int, ...]:
    return tuple(batch if d == "B" else int(d) for d in shape)


@dataclass(frozen=True)
class Probes:
    seed: int
    nonce: str
    x: torch.Tensor  # shapes and device: the first rows of it
    x_grad: torch.Tensor
    u: torch.Tensor
    dir_seed: int
    learn_x: torch.Tensor
    learn_y: torch.Tensor


def check_spec(task: Coding) -> None:
    """Refuse specs this judge cannot honour, naming the field to fix."""
    spec = task.spec
    unknown = [c for c in spec.checks if c == "reference"]
    if unknown:
        raise JudgeError(
            f"task {task.id}: check 'reference' is not implemented by this judge; "
            "remove it from spec.checks"
        )
    if spec.learning.loss == "cross_entropy" and (
        len(spec.output_shape) != 2 or spec.output_shape[1] == "B"
    ):
        raise JudgeError(
            f"task {task.id}: spec.learning.loss cross_entropy needs output_shape [B, classes]"
        )


def make_probes(spec: JudgeSpec, seed: int) -> Probes:
    gen = torch.Generator().manual_seed(seed)
    dtype = getattr(torch, spec.input_dtype)

    def randn(*shape: int, dt: torch.dtype = dtype) -> torch.Tensor:
        return torch.randn(shape, generator=gen, dtype=dt)

    x = randn(*concrete(spec.input_shape, max(*spec.batch_sizes, DEVICE_BATCH)))
    x_grad = randn(*concrete(spec.input_shape, GRAD_BATCH), dt=torch.float64)
    u = randn(*concrete(spec.output_shape, GRAD_BATCH), dt=torch.float64)
    dir_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    learn_x, learn_y = _learning_batch(spec, gen, dtype)
    nonce = secrets.token_hex(16)
    return Probes(seed, nonce, x, x_grad, u, dir_seed, learn_x, learn_y)


def _learning_batch(
    spec: JudgeSpec, gen: torch.Generator, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch a working model can fit: each class has its own template, offset and
    scale, so that both a linear model and a globally pooled CNN (which sees little
    more than each image's level and contrast) can tell the classes apart;
    labels are balanced, so that ignoring the input cannot lower the loss."""
    n = spec.learning.batch_size
    sample = concrete(spec.input_shape, 1)[1:]
    if spec.learning.loss == "mse":
        x = torch.randn((n, *sample), generator=gen, dtype=dtype)
        y = torch.randn(concrete(spec.output_shape, n), generator=gen, dtype=dtype)
        return x, y
    classes = int(spec.output_shape[1])
    y = (torch.arange(n) % classes)[torch.randperm(n, generator=gen)]
    templates = torch.randn((classes, *sample), generator=gen, dtype=dtype)
    offsets = torch.linspace(-1.0, 1.0, classes, dtype=dtype)[
        torch.randperm(classes, generator=gen)
    ]
    scales = torch.linspace(0.5, 1.5, classes, dtype=dtype)[torch.randperm(classes, generator=gen)]
    offsets = offsets.reshape((classes,) + (1,) * len(sample))
    scales = scales.reshape((classes,) + (1,) * len(sample))
    noise = 0.3 * torch.randn((n, *sample), generator=gen, dtype=dtype)
    return offsets[y] + scales[y] * templates[y] + noise, y


def worker_checks(spec: JudgeSpec) -> list[str]:
    return [c for c in spec.checks if c not in TRUSTED_ONLY]


def build_request(task: Coding, source: str, probes: Probes, device: str) -> bytes:
    """The one frame the worker reads: the source text, the class to build, the seed
    and, per check, the inputs the judge chose."""
    spec = task.spec
    params: dict[str, dict[str, Any]] = {
        "load": {},
        "shapes": {"x": probes.x, "batch_sizes": list(spec.batch_sizes)},
        "device": {"x": probes.x[:DEVICE_BATCH]},
        "gradients": {
            "x": probes.x_grad,
            "u": probes.u,
            "eps": spec.gradients.eps,
            "eps32": EPS_FLOAT32,
            "directions": spec.gradients.directions,
            "dir_seed": probes.dir_seed,
        },
        "train_eval": {},
        "learning": {
            "x": probes.learn_x,
            "y": probes.learn_y,
            "loss": spec.learning.loss,
            "steps": spec.learning.steps,
            "optimizer": spec.learning.optimizer.model_dump(),
        },
    }
    checks = [{"name": name, **params[name]} for name in worker_checks(spec)]
    header = {
        "v": 1,
        "nonce": probes.nonce,
        "source": source,
        "class_name": task.class_name,
        "device": device,
        "seed": probes.seed,
        "threads": 1,
        "capture_chars": CAPTURE_CHARS,
        "checks": checks,
    }
    body, blobs = pack(header)
    return encode_frame(body, blobs)


def directions(dir_seed: int, groups: list[tuple[str, tuple[int, ...]]], per_group: int):
    """The random directions the worker was told to use, regenerated here in the same
    order (input first, then each trainable parameter)."""
    gen = torch.Generator().manual_seed(dir_seed)
    for name, shape in groups:
        yield (
            name,
            [torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(per_group)],
        )

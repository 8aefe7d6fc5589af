"""The scale-out options `quizzer judge`, `quizzer screen grade` and `quizzer server`
share: where the files are judged (`--backend`), which Ray cluster (`--address`) and
how much of a GPU a CUDA submission holds there (`--gpu-share`).
Each command's `--ledger` says what it records, so it stays with the command."""

from __future__ import annotations

from typing import Annotated

import typer

BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        metavar="local|ray",
        help="Where solution files are judged: this machine's sandboxes (local), or the "
        "slots of a Ray cluster (ray; needs `pip install quizzer[ray]`, see docs/scale.md).",
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address",
        metavar="HOST:PORT",
        # No envvar: Ray's connection reads $RAY_ADDRESS itself (`ray_backend.connect`),
        # and an address taken from the environment would make every local run a
        # usage error ("--address names a Ray cluster").
        help="The Ray cluster for --backend ray (default: $RAY_ADDRESS, else one started "
        "on this machine).",
    ),
]
GpuShareOpt = Annotated[
    float,
    typer.Option(
        "--gpu-share",
        min=0.01,
        max=1.0,
        help="With --backend ray and --device cuda: the share of a GPU each "
        "submission's slot holds (0.25: four small models per GPU).",
    ),
]

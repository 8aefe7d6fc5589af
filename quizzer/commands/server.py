"""`quizzer server start|stop|status|run`: the resident judge service.

Registered by `quizzer.cli`. `run` serves in the foreground (`quizzer.judge.service`);
`start` runs it in the background and waits until it answers; `stop` asks it to stop;
`status` says whether one answers and what it holds. `quizzer judge` uses a running
service by itself; the practice UI starts one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from quizzer.commands.scale_options import AddressOpt, BackendOpt, GpuShareOpt
from quizzer.errors import UsageError

app = typer.Typer(
    help="The resident judge service: keeps torch, the banks and warm sandboxes loaded, "
    "so that `quizzer judge` and the practice UI answer in a fraction of a second.",
    no_args_is_help=True,
)

SocketOpt = Annotated[
    Path | None,
    typer.Option(
        "--socket",
        metavar="PATH",
        help="The Unix socket (default: $QUIZZER_SERVER_SOCKET, else judge.sock in the "
        "user's runtime folder).",
    ),
]
IdleOpt = Annotated[
    float | None,
    typer.Option("--idle", metavar="SECONDS", min=1, help="Stop after this long unused."),
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", min=1, max=64, help="Files judged at once.")
]


LedgerOpt = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        metavar="PATH",
        help="With --backend ray: record every submission in this ledger first.",
    ),
]


@app.command()
def run(
    socket: SocketOpt = None,
    idle: IdleOpt = None,
    workers: WorkersOpt = None,
    tcp: Annotated[
        str | None,
        typer.Option(
            "--tcp",
            metavar="HOST:PORT",
            help="Listen on TCP instead (needs --token-file; requests send their sources).",
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", metavar="PATH", help="The bearer token TCP clients send."),
    ] = None,
    backend: BackendOpt = "local",
    address: AddressOpt = None,
    ledger: LedgerOpt = None,
    gpu_share: GpuShareOpt = 1.0,
) -> None:
    """Serve in the foreground until stopped or idle."""
    from quizzer.judge.client import socket_path
    from quizzer.judge.service import DEFAULT_IDLE_S, DEFAULT_WORKERS, serve

    tcp_address = None
    if tcp is not None:
        host, _, port = tcp.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"--tcp takes HOST:PORT, e.g. 127.0.0.1:8765; got {tcp!r}")
        tcp_address = (host, int(port))
    token = None
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read --token-file {token_file}: {exc.strerror}") from None
        if len(token) < 16:
            raise UsageError(f"the token in {token_file} is too short; use 16 characters or more")
    from quizzer.judge.scale.choice import check_backend

    check_backend(backend, address)
    serve(
        socket_file=None if tcp_address else (socket or socket_path()),
        tcp=tcp_address,
        token=token,
        workers=workers or DEFAULT_WORKERS,
        idle_s=idle or DEFAULT_IDLE_S,
        ready=lambda where: typer.echo(f"judge service listening on {where}", err=True),
        backend=backend,
        address=address,
        ledger=ledger,
        gpu_share=gpu_share,
    )


@app.command()
def start(
    socket: SocketOpt = None,
    idle: IdleOpt = None,
    workers: WorkersOpt = None,
    backend: BackendOpt = "local",
    address: AddressOpt = None,
    ledger: LedgerOpt = None,
    gpu_share: GpuShareOpt = 1.0,
) -> None:
    """Start the service in the background (unless one runs) and wait until it answers."""
    from quizzer.judge.client import ServiceError, socket_path
    from quizzer.judge.client import start as start_service
    from quizzer.judge.scale.choice import check_backend

    check_backend(backend, address)
    options: tuple[str, ...] = ("--backend", backend)
    if address:
        options += ("--address", address)
    if ledger is not None:
        options += ("--ledger", str(ledger.resolve()))
    if gpu_share != 1.0:
        options += ("--gpu-share", str(gpu_share))
    try:
        found = start_service(idle_s=idle, workers=workers, path=socket, options=options)
    except ServiceError as exc:
        raise UsageError(str(exc)) from None
    where = socket or socket_path()
    running = found.get("backend", "local")
    typer.echo(f"judge service running: pid {found['pid']} on {where} (backend {running})")


@app.command()
def stop(socket: SocketOpt = None) -> None:
    """Ask the service to stop."""
    from quizzer.judge.client import shutdown, socket_path

    where = socket or socket_path()
    typer.echo("stopped the judge service" if shutdown(where) else f"no judge service on {where}")


@app.command()
def status(socket: SocketOpt = None) -> None:
    """Whether a service answers, with its pid, workers and running jobs (exit 1: none)."""
    from quizzer.judge.client import health, socket_path

    where = socket or socket_path()
    found = health(where)
    if found is None:
        typer.echo(f"no judge service on {where}")
        raise typer.Exit(1)
    typer.echo(json.dumps(found, indent=2))

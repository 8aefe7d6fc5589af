"""`quizzer sandbox ...`: check what isolation this machine gives (`doctor`) and build
the Docker sandbox's image (`build-image`). Registered by `quizzer.cli`."""

from __future__ import annotations

from typing import Annotated

import typer

from quizzer.errors import UsageError

app = typer.Typer(
    help="Check the sandbox's protections on this machine and build its Docker image.",
    no_args_is_help=True,
)


@app.command()
def doctor(
    sandbox: Annotated[
        str,
        typer.Option(
            "--sandbox",
            metavar="auto|process|docker",
            help="Which sandbox must be fully available for exit code 0.",
        ),
    ] = "auto",
) -> None:
    """Say which protections are available or missing here; exit 1 when the chosen
    sandbox cannot give full isolation (auto: neither the process nor the Docker one)."""
    from quizzer.judge.sandbox.doctor import diagnose, format_findings, missing_for

    if sandbox not in ("auto", "process", "docker"):
        raise UsageError(f"unknown sandbox {sandbox!r}; choose auto, process or docker")
    findings = diagnose(docker=True)
    typer.echo(format_findings(findings))
    process_ok = not missing_for("process", findings)
    docker_ok = not missing_for("docker", findings)
    verdicts = {
        "process": process_ok,
        "docker": docker_ok,
        "auto": process_ok or docker_ok,
    }
    typer.echo("")
    typer.echo(f"process sandbox: {'full isolation' if process_ok else 'WEAK (see MISS above)'}")
    typer.echo(f"docker sandbox:  {'available' if docker_ok else 'not available'}")
    if not verdicts[sandbox]:
        typer.echo(
            f"the {sandbox} sandbox cannot give full isolation here; the judge will refuse "
            "untrusted code unless given --allow-weak-sandbox or --sandbox none",
            err=True,
        )
        raise typer.Exit(1)


@app.command("build-image")
def build_image(
    dockerfile: Annotated[
        bool,
        typer.Option(
            "--dockerfile",
            help="Build docker/Dockerfile instead (needs an image registry for its base).",
        ),
    ] = False,
    tag: Annotated[str, typer.Option("--tag", help="Image name:tag.")] = "quizzer-sandbox:latest",
) -> None:
    """Build the Docker sandbox's image locally. By default with no registry at all:
    an empty root whose Python comes from this machine, mounted read-only at run time."""
    from quizzer.judge.sandbox.docker import client_or_error
    from quizzer.judge.sandbox.image import build_dockerfile_image, build_host_image

    client = client_or_error()
    image_id = build_dockerfile_image(client, tag) if dockerfile else build_host_image(client, tag)
    how = "docker build of docker/Dockerfile" if dockerfile else "registry-free import"
    typer.echo(f"built {tag} ({image_id[:19]}) by {how}")

"""``keel serve``: answer for registered models and deployments over HTTP (Open Inference
Protocol v2 and a JSON API) until Ctrl-C or SIGTERM, which finish the requests in flight
first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace

if TYPE_CHECKING:
    from keel.serving import ServeSpec

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def serve(
    ctx: typer.Context,
    models: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[MODEL]...",
            help="NAME@ALIAS, NAME/3, NAME (its newest version) or a package path. "
            "Default: serve.models in keel.yaml.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to listen on.", show_default="serve.host: 127.0.0.1"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "-p",
            min=0,
            max=65535,
            help="Port; 0 picks a free one.",
            show_default="serve.port: 8080",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=256,
            show_default="serve.workers: 1",
            help="Processes on one port; the models load once, before the fork, and are "
            "shared copy-on-write.",
        ),
    ] = None,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            show_default="serve.auth: off",
            help="off, or required: every call but health needs a bearer token "
            "(keel tokens create).",
        ),
    ] = None,
    poll: Annotated[
        float | None,
        typer.Option(
            "--poll",
            min=0,
            metavar="SECONDS",
            show_default="serve.poll_s: 5",
            help="Seconds between registry polls for alias moves (hot swap); 0: never.",
        ),
    ] = None,
    deployment: Annotated[
        list[str] | None,
        typer.Option(
            "--deployment",
            "-d",
            metavar="NAME",
            show_default="serve.deployments",
            help="A deployment (keel deploy NAME) to answer at /predict/NAME, routing each "
            "request to one of its versions; repeat for several.",
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help=f"One of {', '.join(_LOG_LEVELS)}.")
    ] = "info",
    access_log: Annotated[
        bool,
        typer.Option("--access-log/--no-access-log", help="One JSON line per request."),
    ] = True,
) -> None:
    """Serve models over HTTP until Ctrl-C (or SIGTERM), then finish in-flight requests."""
    _check_choice("--log-level", log_level.lower(), _LOG_LEVELS)
    overrides = {"host": host, "port": port, "workers": workers, "auth": auth, "poll_s": poll}
    with open_workspace(ctx) as ws:
        code = ws.serve(
            models,
            overrides=overrides,
            log_level=log_level,
            access_log=access_log,
            ready=_announce,
            deployments=deployment,
        )
    if code:
        raise typer.Exit(code)


def _check_choice(option: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise typer.BadParameter(f"must be one of {', '.join(allowed)}; got {value!r}.",
                                 param_hint=option)  # fmt: skip


def _announce(url: str, names: list[str], spec: ServeSpec) -> None:
    workers = f", {spec.workers} workers" if spec.workers > 1 else ""
    fmt.stdout().print(
        f"Serving {fmt.escape(', '.join(names))} at {url}{workers} "
        f"(OIP v2: {url}/v2, JSON: {url}/predict/NAME, docs: {url}/docs). Ctrl-C stops.",
        soft_wrap=True,
    )

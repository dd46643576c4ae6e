"""The root ``keel`` command: global options, error reporting, and the nouns under it."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from keel.cli import (
    data,
    demo,
    deploy,
    drift,
    evaluate,
    experiments,
    features,
    gc,
    init,
    models,
    monitor,
    runs,
    serve,
    tokens,
    train,
)
from keel.cli._context import State, state
from keel.cli._output import error


class _KeelGroup(TyperGroup):
    """Turns every KeelError, and an operating-system error such as a folder that cannot be
    written, into a red message on stderr and exit code 1.

    Subcommands run inside the root group's ``invoke``, so catching here covers them all.
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        from keel.errors import KeelError

        try:
            return super().invoke(ctx)
        except (KeelError, OSError) as exc:
            if state(ctx).debug:
                traceback.print_exception(exc)
            error(f"Error: {exc}")
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_KeelGroup,
    name="keel",
    help="keel: track, compare and clean up the runs of a keel workspace.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        from keel import __version__

        typer.echo(f"keel {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace",
            "-w",
            envvar="KEEL_WORKSPACE",
            help="The workspace folder (or any folder below it): keel.yaml is searched "
            "for here and upward.",
            show_default="current directory",
        ),
    ] = Path("."),
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print keel's version."
        ),
    ] = False,
) -> None:
    ctx.obj = State(workspace=workspace, debug=debug)


app.command("init")(init.init)
app.add_typer(runs.app, name="runs")
app.add_typer(experiments.app, name="experiments")
app.add_typer(data.app, name="data")
app.add_typer(features.app, name="features")
app.command("train")(train.train)
app.command("report")(evaluate.report)
app.command("compare")(evaluate.compare)
app.add_typer(models.app, name="models")
app.command("serve")(serve.serve)
app.add_typer(tokens.app, name="tokens")
app.command("deploy")(deploy.deploy)
app.command("rollback")(deploy.rollback)
app.add_typer(deploy.app, name="deployments")
app.add_typer(monitor.app, name="monitor")
app.command("drift")(drift.drift)
app.command("gc")(gc.gc)
app.command("demo")(demo.demo)

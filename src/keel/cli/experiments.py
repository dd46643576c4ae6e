"""``keel experiments``: list, delete and restore experiments."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace

app = typer.Typer(help="List, delete and restore experiments.", no_args_is_help=True)


@app.command("list")
def list_experiments(
    ctx: typer.Context,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Include deleted experiments.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help=fmt.JSON_HELP)] = False,
) -> None:
    """List experiments with their number of runs (with --deleted, deleted runs count too)."""
    with open_workspace(ctx) as ws:
        found = ws.list_experiments(include_deleted=deleted)
        counts = ws.count_runs(include_deleted=deleted)
    if json:
        data = [{**dataclasses.asdict(e), "runs": counts.get(e.name, 0)} for e in found]
        fmt.emit_json({"experiments": data})
        return
    out = fmt.stdout()
    if not found:
        out.print("No experiments yet.")
        return
    table = fmt.table("name", "id", "runs", "created")
    table.columns[1].justify = table.columns[2].justify = "right"
    for e in found:
        name = fmt.escape(e.name)
        if e.lifecycle == "deleted":
            name += " [dim](deleted)[/]"
        table.add_row(
            name, str(e.experiment_id), str(counts.get(e.name, 0)), fmt.when(e.created_at)
        )
    out.print(table)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Experiment name.")],
    purge: Annotated[
        bool,
        typer.Option(help="Remove it for good with its runs and their unshared artifacts."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before purging.")] = False,
) -> None:
    """Delete an experiment with all its runs (or with --purge remove it for good)."""
    with open_workspace(ctx) as ws:
        if purge and not yes:
            typer.confirm(
                f"Purge experiment {name!r} and all its runs for good?", abort=True, err=True
            )
        report = ws.delete_experiment(name, purge=purge)
    out = fmt.stdout()
    if purge:
        out.print(
            f"Purged experiment {fmt.escape(repr(name))} and "
            f"{fmt.plural(report.runs_purged, 'run')}: "
            f"{fmt.plural(report.blobs_deleted, 'artifact blob')} deleted, "
            f"{fmt.size(report.bytes_freed)} reclaimed."
        )
    else:
        out.print(
            f"Deleted experiment {fmt.escape(repr(name))} with its runs; `keel gc` removes them "
            "for good."
        )


@app.command("restore")
def restore(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Experiment name.")]
) -> None:
    """Bring a deleted (not purged) experiment back with all its runs."""
    with open_workspace(ctx) as ws:
        ws.restore_experiment(name)
    fmt.stdout().print(f"Restored experiment {fmt.escape(repr(name))} with its runs.")

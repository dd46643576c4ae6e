"""``keel runs``: list, show, compare, read metric histories, delete, restore, find dead runs."""

from __future__ import annotations

from typing import Annotated

import typer

from keel.cli import _output as fmt
from keel.cli import _run_views as views
from keel.cli._context import open_workspace, run_id, run_ids

app = typer.Typer(help="List, inspect, compare and delete runs.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help=fmt.JSON_HELP)]
RunIdArg = Annotated[
    str, typer.Argument(metavar="RUN_ID", help="Run id, or a unique prefix of 4+ characters.")
]
RunIdsArg = Annotated[
    list[str],
    typer.Argument(metavar="RUN_ID", help="Run ids, or unique prefixes of 4+ characters."),
]


@app.command("list")
def list_runs(
    ctx: typer.Context,
    experiment: Annotated[
        list[str] | None,
        typer.Option("--experiment", "-e", help="Only runs of this experiment (repeatable)."),
    ] = None,
    filter: Annotated[
        str | None,
        typer.Option(
            "--filter",
            "-f",
            help="Search filter, e.g. \"metrics.auc > 0.9 and params.model = 'lgbm'\".",
        ),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option("--order-by", "-o", help="e.g. 'metrics.auc desc' (repeatable)."),
    ] = None,
    max_results: Annotated[int, typer.Option(help="Runs per page (1 to 10000).")] = 100,
    page_token: Annotated[
        str | None, typer.Option(help="The token a previous page printed, for the next page.")
    ] = None,
    deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted runs.")] = False,
    json: JsonOption = False,
) -> None:
    """List runs, newest first unless --order-by says otherwise."""
    with open_workspace(ctx) as ws:
        page = ws.search_runs(
            filter,
            experiments=experiment or None,
            order_by=order_by or None,
            max_results=max_results,
            page_token=page_token,
            include_deleted=deleted,
        )
    if json:
        runs = [views.run_dict(r) for r in page]
        fmt.emit_json({"runs": runs, "next_page_token": page.next_page_token})
        return
    out = fmt.stdout()
    if not page:
        out.print("No runs match.")
        return
    out.print(views.runs_table(page, out.width))
    if page.next_page_token:
        token = page.next_page_token
        out.print(f"More runs: add --page-token {token}", markup=False, soft_wrap=True)


@app.command("show")
def show(ctx: typer.Context, run: RunIdArg, json: JsonOption = False) -> None:
    """Show one run: attributes, params, tags, metrics, artifacts and data snapshots used."""
    with open_workspace(ctx) as ws:
        record = ws.get_run(run_id(ws, run))
        counts = ws.metric_counts(record.run_id)
        artifacts = ws.list_artifacts(record.run_id)
        inputs = ws.run_inputs(record.run_id)
    if json:
        fmt.emit_json(
            {
                **views.run_dict(record),
                "metric_points": counts,
                "artifacts": [views.artifact_dict(a) for a in artifacts],
                "data_inputs": inputs,
            }
        )
        return
    out = fmt.stdout()
    out.print(views.attributes_table(record))
    if record.params:
        out.print(views.key_value_table("Params", record.params))
    if record.tags:
        out.print(views.key_value_table("Tags", record.tags))
    if record.metrics:
        out.print(views.metrics_table(record.metrics, counts))
    if artifacts:
        out.print(views.artifacts_table(artifacts))
    if inputs:
        used = {role: ", ".join(ids) for role, ids in inputs.items()}
        out.print(views.key_value_table("Data snapshots", used))


@app.command("compare")
def compare(ctx: typer.Context, runs: RunIdsArg, json: JsonOption = False) -> None:
    """Params and latest metrics of several runs side by side; differences highlighted."""
    if len(runs) < 2:
        raise typer.BadParameter("give two or more runs to compare.", param_hint="RUN_ID...")
    with open_workspace(ctx) as ws:
        records = [ws.get_run(i) for i in run_ids(ws, runs)]
    rows = views.comparison_rows(records)
    if json:
        fmt.emit_json({"runs": [r.run_id for r in records], "rows": rows})
    else:
        fmt.stdout().print(views.comparison_table(records, rows))


@app.command("history")
def history(
    ctx: typer.Context,
    run: RunIdArg,
    key: Annotated[str, typer.Argument(help="Metric name.")],
    start_step: Annotated[int | None, typer.Option(help="First step to read.")] = None,
    end_step: Annotated[int | None, typer.Option(help="Last step to read.")] = None,
    max_results: Annotated[int, typer.Option(help="At most this many points.")] = 10_000,
    json: JsonOption = False,
) -> None:
    """The points of one metric of a run, by step."""
    from keel.errors import TrackingError

    with open_workspace(ctx) as ws:
        full_id = ws.get_run(run_id(ws, run)).run_id
        counts = ws.metric_counts(full_id)
        if key not in counts:
            known = ", ".join(counts) or "none"
            raise TrackingError(f"Run {full_id} has no metric {key!r}; its metrics: {known}.")
        points = ws.get_metric_history(
            full_id, key, start_step=start_step, end_step=end_step, max_results=max_results
        )
    if json:
        data = [{"step": p.step, "value": p.value, "timestamp": p.timestamp} for p in points]
        fmt.emit_json({"run_id": full_id, "key": key, "points": data})
        return
    table = fmt.table("step", key, "time", title=f"{key} of run {views.short(full_id)}")
    table.columns[0].justify = table.columns[1].justify = "right"
    for p in points:
        table.add_row(str(p.step), fmt.number(p.value), fmt.when(p.timestamp))
    out = fmt.stdout()
    out.print(table if points else "No points in that step range.")
    if points and len(points) == max_results:
        out.print(f"Stopped at {max_results} points; add --start-step {points[-1].step + 1}.")


@app.command("delete")
def delete(
    ctx: typer.Context,
    runs: RunIdsArg,
    purge: Annotated[
        bool,
        typer.Option(help="Remove the runs for good, with artifacts no other run uses."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before purging.")] = False,
) -> None:
    """Delete runs: hidden and restorable, or with --purge removed for good."""
    with open_workspace(ctx) as ws:
        ids = run_ids(ws, runs)
        if purge and not yes:
            typer.confirm(f"Purge {fmt.plural(len(ids), 'run')} for good?", abort=True, err=True)
        report = ws.delete_runs(ids, purge=purge)
    out = fmt.stdout()
    if purge:
        out.print(
            f"Purged {fmt.plural(report.runs_purged, 'run')}: "
            f"{fmt.plural(report.blobs_deleted, 'artifact blob')} deleted, "
            f"{fmt.size(report.bytes_freed)} reclaimed."
        )
    else:
        out.print(
            f"Deleted {fmt.plural(len(ids), 'run')}. Undo with `keel runs restore`; "
            "`keel gc` removes deleted runs for good."
        )


@app.command("restore")
def restore(ctx: typer.Context, runs: RunIdsArg) -> None:
    """Bring deleted (not purged) runs back."""
    with open_workspace(ctx) as ws:
        ids = run_ids(ws, runs)
        ws.restore_runs(ids)
    fmt.stdout().print(f"Restored {fmt.plural(len(ids), 'run')}.")


@app.command("gc")
def gc_runs(ctx: typer.Context, json: JsonOption = False) -> None:
    """Mark RUNNING runs whose process has ended as KILLED."""
    with open_workspace(ctx) as ws:
        killed, unknown = ws.mark_dead_runs_killed()
    if json:
        fmt.emit_json(
            {
                "killed": [views.run_dict(r) for r in killed],
                "unchecked": [views.run_dict(r) for r in unknown],
            }
        )
        return
    out = fmt.stdout()
    out.print(f"Marked {fmt.plural(len(killed), 'run')} KILLED.")
    if killed:
        table = fmt.table("id", "name", "experiment", "host", "pid", "started")
        for r in killed:
            table.add_row(
                views.short(r.run_id),
                fmt.escape(r.name),
                fmt.escape(r.experiment),
                fmt.escape(str(r.host)),
                str(r.pid),
                fmt.when(r.start_time),
            )
        out.print(table)
    if unknown:
        out.print(
            f"{fmt.plural(len(unknown), 'RUNNING run')} started on other hosts (or without "
            "a pid) could not be checked from here."
        )

"""``keel monitor``: monitoring reports on the latest window of a model's prediction log
(``run``), stored reports and their HTML page (``show``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace
from keel.cli._options import JsonOption

if TYPE_CHECKING:
    from keel.monitoring._run import MonitorReport
    from keel.store._sql_monitoring import MonitorReportRow

app = typer.Typer(
    help="Monitor a served model: drift, estimated and realised performance, alerts.",
    no_args_is_help=True,
)


@app.command("run")
def run(
    ctx: typer.Context,
    model: Annotated[
        str | None,
        typer.Argument(help="A registry ref: churn, churn/3, churn@champion.", show_default=False),
    ] = None,
    window: Annotated[
        str | None,
        typer.Option("--window", help='A duration ("1h", "30m") or a row count (10000).'),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference", help="auto, snapshot, package or previous (the window before)."
        ),
    ] = None,
    no_alerts: Annotated[
        bool, typer.Option("--no-alerts", help="Store the report without checking alert rules.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Compute, store and print a monitoring report on the latest window, then send the
    alerts keel.yaml's rules call for."""
    with open_workspace(ctx) as ws, _progress(enabled=not json) as progress:
        report = ws.monitor_run(
            model,
            window=_window(window),
            reference=reference,
            alerts=not no_alerts,
            progress=progress,
        )
    if json:
        fmt.emit_json(report.to_dict())
        return
    _print_report(report)


@app.command("show")
def show(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(help="Only this model's reports.", show_default=False)
    ] = None,
    report: Annotated[
        int | None, typer.Option("--report", help="One report by id (default the newest).")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write the report as a self-contained HTML page here."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Reports listed.")] = 20,
    json: JsonOption = False,
) -> None:
    """List stored reports (newest first), or write one as an HTML page with --html."""
    with open_workspace(ctx) as ws:
        if html is not None:
            path = ws.monitor_html(html, report, model=model)
            fmt.stdout().print(f"Wrote {fmt.escape(str(path))}.")
            return
        if report is not None:
            found = ws.monitor_report(report)
            fmt.emit_json(found.report) if json else _print_row(found)
            return
        rows = ws.monitor_reports(model, limit=limit)
    if json:
        fmt.emit_json([_row_dict(r) for r in rows])
        return
    _print_rows(rows)


def _window(text: str | None) -> str | int | None:
    if text is None:
        return None
    return int(text) if text.strip().isdigit() else text


class _progress:
    """A rich progress bar over the run's steps (drift, predictions, performance...)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import Progress

        self.bar = Progress(console=fmt.stderr(), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("window", total=5)

        def update(step: str, done: int, total: int) -> None:
            self.bar.update(self.task, description=step, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()


def _print_report(report: MonitorReport) -> None:
    out = fmt.stdout()
    window = report.window
    out.print(
        f"Report [bold]{report.id}[/] for {fmt.escape(report.model)} v{report.version}: "
        f"{window.rows:,} rows from {fmt.when(window.start)} to {fmt.when(window.end)}, "
        f"{report.labelled:,} labelled; reference: {fmt.escape(report.reference)}."
    )
    if report.drift is not None:
        drifted = ", ".join(report.drift.drifted) or "none"
        verdict = "[red]drifted[/]" if report.drifted else "[green]no data drift[/]"
        out.print(
            f"Data drift: {verdict} — {report.drift.share_drifted:.0%} of "
            f"{len(report.drift.columns)} features ({fmt.escape(drifted)})."
        )
    table = fmt.table("metric", "value")
    for name, value in report.metrics().items():
        if not name.startswith(("drift.columns.", "prediction_drift.columns.")):
            table.add_row(name, fmt.number(value))
    out.print(table)
    for note in report.notes:
        out.print(f"[dim]{fmt.escape(note)}[/]")
    for alert in report.alerts:
        if alert.state in ("fired", "failed"):
            colour = "red" if alert.state == "failed" else "yellow"
            extra = f": {alert.error}" if alert.error else ""
            out.print(
                f"[{colour}]Alert {alert.state}[/] {fmt.escape(alert.rule)}{fmt.escape(extra)}"
            )


def _row_dict(row: MonitorReportRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "model": row.model,
        "version": row.version,
        "window_start": row.window_start,
        "window_end": row.window_end,
        "rows": row.rows,
        "metrics": row.metrics,
        "created_at": row.created_at,
    }


def _print_rows(rows: list[MonitorReportRow]) -> None:
    table = fmt.table("id", "model", "window end", "rows", "drift.share", "estimated.roc_auc")
    for r in rows:
        table.add_row(
            str(r.id),
            f"{r.model} v{r.version}",
            fmt.when(r.window_end),
            f"{r.rows:,}",
            fmt.number(r.metrics.get("drift.share")),
            fmt.number(r.metrics.get("estimated.roc_auc")),
        )
    fmt.stdout().print(table)


def _print_row(row: MonitorReportRow) -> None:
    table = fmt.table("metric", "value", title=f"Report {row.id} ({row.model} v{row.version})")
    for name, value in sorted(row.metrics.items()):
        table.add_row(name, fmt.number(value))
    fmt.stdout().print(table)

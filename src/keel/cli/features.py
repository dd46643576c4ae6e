"""``keel features``: fit keel.yaml's feature pipeline, show what it does, and apply it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace, run_id
from keel.cli._options import JsonOption, SourceArg

if TYPE_CHECKING:
    from keel.features import FeatureReport

app = typer.Typer(help="Fit, inspect and apply the feature pipeline.", no_args_is_help=True)

RunOption = Annotated[
    str | None,
    typer.Option("--run", help="A features run id (or prefix). Default: the last fitted."),
]


@app.command("fit")
def fit(ctx: typer.Context, source: SourceArg = None, json: JsonOption = False) -> None:
    """Fit keel.yaml's ``features:`` on the data as a tracked run, and keep the pipeline."""
    with open_workspace(ctx) as ws:
        fitted = ws.fit_features(source)
    report = fitted.pipeline.report_
    if json:
        fmt.emit_json({"run_id": fitted.run_id, "path": str(fitted.path), **report.to_dict()})
        return
    _print_report(report)
    fmt.stdout().print(
        f"Run {fitted.run_id[:12]} recorded the pipeline; saved to {fmt.escape(str(fitted.path))}."
    )


@app.command("show")
def show(ctx: typer.Context, run: RunOption = None, json: JsonOption = False) -> None:
    """What the fitted pipeline does: inputs, steps, features made, dropped and why."""
    with open_workspace(ctx) as ws:
        pipe = ws.load_features(run_id(ws, run) if run else None)
    if json:
        fmt.emit_json(pipe.report_.to_dict())
        return
    _print_report(pipe.report_)


@app.command("transform")
def transform(
    ctx: typer.Context,
    source: SourceArg = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the features (.parquet or .csv).")
    ] = Path("features.parquet"),
    run: RunOption = None,
) -> None:
    """Apply the fitted pipeline to data and write the features with their names."""
    with open_workspace(ctx) as ws:
        frame = ws.features_frame(source, run_id=run_id(ws, run) if run else None)
    _write(frame, output)
    fmt.stdout().print(
        f"Wrote {len(frame):,} rows x {frame.shape[1]} features to {fmt.escape(str(output))}."
    )


def _write(frame: Any, output: Path) -> None:
    from keel.errors import FeatureError

    suffix = output.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise FeatureError(
            f"--output must end in .parquet or .csv. Got {str(output)!r} instead.", field="output"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(output, index=False)
    else:
        frame.to_parquet(output, index=False)


def _print_report(report: FeatureReport) -> None:
    from keel.features._report import LEAK_MARK

    out = fmt.stdout()
    table = fmt.table("step", "does", "inputs", "features")
    for name, (what, columns, width) in report.steps.items():
        shown = ", ".join(columns[:5]) + (f" (+{len(columns) - 5})" if len(columns) > 5 else "")
        table.add_row(name, fmt.escape(what), fmt.escape(shown), str(width))
    out.print(table)
    out.print(f"{len(report.inputs)} input columns -> {len(report.outputs)} features")
    for line in report.findings():
        style = "bold red" if line.startswith(LEAK_MARK) else None
        out.print(f"  {line}", style=style, markup=False)

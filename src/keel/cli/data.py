"""``keel data``: read, check, profile, snapshot and compare data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace
from keel.cli._options import JsonOption, SourceArg

if TYPE_CHECKING:
    from rich.table import Table

    from keel.data._sources import Loaded

app = typer.Typer(help="Read, check, profile and snapshot data.", no_args_is_help=True)

EncodingOption = Annotated[
    str, typer.Option("--encoding", help="Text encoding of a CSV or TSV file, e.g. cp1252.")
]
SkipOption = Annotated[
    bool,
    typer.Option(
        "--skip-bad-rows",
        help="Drop malformed CSV rows and JSON lines, and say which, instead of stopping at "
        "the first.",
    ),
]

# Wider frames show their first columns in the sample; --json has them all.
_SAMPLE_COLUMNS = 12
_CELL_WIDTH = 40


@app.command("show")
def show(
    ctx: typer.Context,
    source: SourceArg = None,
    rows: Annotated[int, typer.Option("--rows", "-n", min=0, help="Sample rows to print.")] = 5,
    encoding: EncodingOption = "utf-8",
    skip_bad_rows: SkipOption = False,
    json: JsonOption = False,
) -> None:
    """A data set's shape, each column's type and missing values, and its first rows."""
    from keel.data._sources import describe_frame, read_source

    given, base_dir = (source, None) if source is not None else _configured_source(ctx)
    loaded = read_source(
        given,
        base_dir=base_dir,
        bad_rows="skip" if skip_bad_rows else "error",
        encoding=encoding,
    )
    described = describe_frame(loaded.frame, sample_rows=rows)
    if json:
        fmt.emit_json(
            {
                "source": loaded.source,
                **described,
                "dropped_rows": loaded.dropped_rows,
                "dropped_examples": list(loaded.dropped_examples),
            }
        )
        return
    _print(loaded, described)


@app.command("schema")
def schema(ctx: typer.Context, source: SourceArg = None, json: JsonOption = False) -> None:
    """Infer the schema (the model's signature) and write it to data.schema_file.

    Edits you made to that file (pinned types, roles, allowed ranges) are kept.
    """
    with open_workspace(ctx) as ws:
        inferred = ws.infer_schema(source)
        path = ws.schema_path
    if json:
        fmt.emit_json(inferred.model_dump(mode="json"))
        return
    table = fmt.table("column", "type", "role", "nullable", "observed range / categories")
    for column in inferred.columns:
        table.add_row(
            fmt.escape(column.name),
            column.type,
            column.role,
            "yes" if column.nullable else "no",
            fmt.escape(_observed(column)),
        )
    out = fmt.stdout()
    out.print(table)
    out.print(f"Wrote {fmt.escape(str(path))}; edit it to pin types, roles or allowed ranges.")


@app.command("validate")
def validate(ctx: typer.Context, source: SourceArg = None, json: JsonOption = False) -> None:
    """Check data against the schema: each value, and the data's own schema for breaking
    changes. Exits 1 when there are errors or breaking changes."""
    with open_workspace(ctx) as ws:
        report, evolution = ws.validate_data(source)
    failed = not report.ok or not evolution.ok
    if json:
        fmt.emit_json(
            {
                "ok": not failed,
                "rows": report.n_rows,
                "violations": [_as_dict(v) for v in report.violations],
                "schema_changes": [_as_dict(c) for c in evolution.changes],
            }
        )
    else:
        _print_validation(report, evolution)
    if failed:
        raise typer.Exit(1)


@app.command("profile")
def profile(
    ctx: typer.Context,
    source: SourceArg = None,
    test: Annotated[
        str | None, typer.Option("--test", help="A test set: rows it shares are reported.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Quality checks: missing values, duplicates, constant columns, high cardinality,
    outliers, class imbalance, train/test overlap and target leakage."""
    with open_workspace(ctx) as ws:
        found = ws.profile_data(source, test=test)
        if html is not None:
            from keel.data import write_html

            write_html(found, ws.read_data(source).frame, html, title=f"{ws.config.project}: data")
    if json:
        fmt.emit_json(found.to_dict())
        return
    out = fmt.stdout()
    rows, columns = found.shape
    out.print(f"{_count(rows, 'row')}, {_count(columns, 'column')}")
    table = fmt.table("severity", "check", "column", "finding")
    for finding in found.findings:
        if finding.severity == "info":
            continue
        colour = "red" if finding.severity == "error" else "yellow"
        table.add_row(
            f"[{colour}]{finding.severity}[/]",
            finding.check,
            fmt.escape(finding.column or "—"),
            fmt.escape(finding.message),
        )
    infos = sum(1 for f in found.findings if f.severity == "info")
    out.print(table if table.rows else "No errors or warnings.")
    out.print(f"{fmt.plural(infos, 'more finding')} of severity info (--json or --html show all).")
    if html is not None:
        out.print(f"Report: {fmt.escape(str(html))}")


@app.command("snapshot")
def snapshot(ctx: typer.Context, source: SourceArg = None, json: JsonOption = False) -> None:
    """Store an immutable Parquet snapshot with its schema; the same data gives the same id."""
    with open_workspace(ctx) as ws:
        record = ws.snapshot_data(source)
    if json:
        fmt.emit_json(_as_dict(record))
        return
    fmt.stdout().print(
        f"Snapshot {record.snapshot_id} ({_count(record.rows, 'row')}, "
        f"{_count(record.columns, 'column')}) of {fmt.escape(record.source or '?')}",
        soft_wrap=True,
    )


@app.command("snapshots")
def snapshots(ctx: typer.Context, json: JsonOption = False) -> None:
    """List the data snapshots of this workspace, newest first."""
    with open_workspace(ctx) as ws:
        found = ws.list_snapshots()
    if json:
        fmt.emit_json({"snapshots": [_as_dict(r) for r in found]})
        return
    table = fmt.table("id", "rows", "columns", "created", "source")
    for record in found:
        table.add_row(
            record.snapshot_id[:12],
            f"{record.rows:,}",
            str(record.columns),
            fmt.when(record.created_at),
            fmt.escape(record.source or ""),
        )
    fmt.stdout().print(table if found else "No snapshots yet: keel data snapshot makes one.")


@app.command("diff")
def diff(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="A snapshot id (or 8+ character prefix) or a file.")],
    b: Annotated[str, typer.Argument(help="A snapshot id (or 8+ character prefix) or a file.")],
    key: Annotated[
        list[str] | None,
        typer.Option("--key", "-k", help="Compare rows by this key column (repeat for several)."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Rows added and removed, column changes and per-column distribution shifts."""
    with open_workspace(ctx) as ws:
        found = ws.diff_data(a, b, key=key or None)
    if json:
        fmt.emit_json(found.to_dict())
        return
    out = fmt.stdout()
    for line in found.summary():
        out.print(fmt.escape(line), soft_wrap=True)


def _observed(column: Any) -> str:
    if column.categories:
        names = list(column.categories)
        more = f" (+{len(names) - 5})" if len(names) > 5 else ""
        return ", ".join(names[:5]) + more
    if column.observed_min is None:
        return ""
    return f"{_cell(column.observed_min)} … {_cell(column.observed_max)}"


def _print_validation(report: Any, evolution: Any) -> None:
    out = fmt.stdout()
    table = fmt.table("severity", "column", "problem", "count", "example rows", "expected")
    for v in report.violations:
        colour = "red" if v.severity == "error" else "yellow"
        table.add_row(
            f"[{colour}]{v.severity}[/]",
            fmt.escape(v.column),
            v.kind,
            f"{v.count:,}",
            ", ".join(map(str, v.examples)),
            fmt.escape(v.expected),
        )
    errors, warnings = len(report.errors), len(report.warnings)
    out.print(f"{_count(report.n_rows, 'row')}: {errors} error(s), {warnings} warning(s)")
    if report.violations:
        out.print(table)
    changes = [c for c in evolution.changes if c.level != "compatible"]
    for change in changes:
        colour = "red" if change.level == "breaking" else "yellow"
        out.print(f"[{colour}]{fmt.escape(str(change))}[/]", soft_wrap=True)


def _as_dict(value: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(value)


def _configured_source(ctx: typer.Context) -> tuple[Any, Path]:
    """keel.yaml's ``data.source`` and the workspace root it is relative to."""
    from keel.errors import ConfigError

    hint = "name the data instead: keel data show data/train.csv"
    try:
        with open_workspace(ctx) as ws:
            data, root = ws.config.data, ws.root
    except ConfigError as exc:
        if exc.path is None or Path(exc.path).exists():
            raise
        raise ConfigError(f"{exc} Or {hint}.", path=exc.path, field=exc.field) from None
    if data is None:
        raise ConfigError(
            f"No SOURCE given and {root / 'keel.yaml'} has no data section. Add one:\n"
            f"  data:\n    source: data/train.csv\nor {hint}.",
            path=str(root / "keel.yaml"),
            field="data",
        )
    return data.source, root


def _print(loaded: Loaded, described: dict[str, Any]) -> None:
    out = fmt.stdout()
    n_rows, n_columns = described["shape"]
    out.print(f"[bold]{fmt.escape(loaded.source)}[/]", soft_wrap=True)
    out.print(f"{_count(n_rows, 'row')}, {_count(n_columns, 'column')}")
    if loaded.dropped_rows:
        out.print(
            f"[yellow]Dropped {fmt.plural(loaded.dropped_rows, 'malformed row')}:[/]",
        )
        for example in loaded.dropped_examples:
            out.print(f"  {fmt.escape(example)}", soft_wrap=True)
    out.print(_columns_table(described["columns"], n_rows))
    if described["sample"]:
        out.print(_sample_table(described))


def _columns_table(columns: list[dict[str, Any]], n_rows: int) -> Table:
    result = fmt.table("column", "type", "nulls", title="Columns", min_width=20)
    result.columns[2].justify = "right"
    for column in columns:
        nulls = column["nulls"]
        share = f" ({nulls / n_rows:.1%})" if nulls and n_rows else ""
        dtype = fmt.escape(column["dtype"])  # datetime64[us] is not markup
        result.add_row(fmt.escape(column["name"]), dtype, f"{nulls:,}{share}")
    return result


def _sample_table(described: dict[str, Any]) -> Table:
    names = [c["name"] for c in described["columns"]]
    shown = names[:_SAMPLE_COLUMNS]
    title = f"First {fmt.plural(len(described['sample']), 'row')}"
    if len(names) > len(shown):
        title += f" (first {len(shown)} of {len(names)} columns; --json shows all)"
    result = fmt.table(*(fmt.escape(name) for name in shown), title=title, min_width=len(title))
    for row in described["sample"]:
        result.add_row(*(_cell(row[name]) for name in shown))
    return result


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _cell(value: Any) -> str:
    if value is None:
        return fmt.MISSING
    text = fmt.number(value) if isinstance(value, float) else str(value)
    if len(text) > _CELL_WIDTH:
        text = text[: _CELL_WIDTH - 1] + "…"
    return fmt.escape(text)

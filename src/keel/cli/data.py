"""``keel data``: read, check, profile and snapshot data. For now: ``show``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace

if TYPE_CHECKING:
    from rich.table import Table

    from keel.data._sources import Loaded

app = typer.Typer(help="Read, check, profile and snapshot data.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout and nothing else.")]
SourceArg = Annotated[
    str | None,
    typer.Argument(
        metavar="SOURCE",
        help="A .csv, .tsv, .parquet or .jsonl file. Default: data.source in keel.yaml.",
        show_default=False,
    ),
]
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

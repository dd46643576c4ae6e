"""``keel drift``: compare two data sets column by column, without a model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._options import JsonOption

if TYPE_CHECKING:
    from keel.monitoring import DriftReport

_FILE_HELP = (
    "A .csv, .tsv, .parquet or .jsonl file, or a database URL (sqlite:///f.db, "
    "postgresql+psycopg://...) with --reference-query / --current-query."
)


def drift(
    reference: Annotated[str, typer.Argument(help=f"The reference data. {_FILE_HELP}")],
    current: Annotated[str, typer.Argument(help=f"The data to compare to it. {_FILE_HELP}")],
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            help="auto (default), ks, wasserstein, psi, jensenshannon or chi2 for every "
            "column, or COLUMN=METHOD for one (repeatable).",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            help="A threshold for every column, or COLUMN=VALUE / METHOD=VALUE (repeatable). "
            "Tests (ks, chi2) flag p-values below it, distances flag values above it.",
            show_default=False,
        ),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column", "-c", help="Compare only these columns (repeatable).", show_default=False
        ),
    ] = None,
    reference_query: Annotated[
        str | None,
        typer.Option(
            "--reference-query",
            help="SQL that selects the reference rows from the database REFERENCE names.",
            show_default=False,
        ),
    ] = None,
    current_query: Annotated[
        str | None,
        typer.Option(
            "--current-query",
            help="SQL that selects the current rows from the database CURRENT names.",
            show_default=False,
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Data drift of CURRENT against REFERENCE: per column the method, statistic, p-value
    or distance, threshold and verdict. See docs/monitoring.md for the methods and the
    auto rule."""
    from keel.data._sources import read_source
    from keel.monitoring import ReferenceProfile, drift_report

    methods, thresholds = _methods(method or []), _thresholds(threshold or [])
    ref = read_source(_source(reference, reference_query)).frame
    cur = read_source(_source(current, current_query)).frame
    profile = ReferenceProfile.from_frame(ref, column or None)
    report = drift_report(profile, cur, method=methods, thresholds=thresholds)
    if html is not None:
        report.to_html(html)
    if json:
        fmt.emit_json(report.to_dict())
        return
    _print(report, html)


def _source(given: str, query: str | None) -> Any:
    """A file path, or keel.data's SQL source when a query names the rows."""
    return given if query is None else {"sql": {"url": given, "query": query}}


def _methods(given: list[str]) -> str | dict[str, str]:
    per_column = dict(_pair(item, "--method") for item in given if "=" in item)
    plain = [item for item in given if "=" not in item]
    if len(plain) > 1:
        _bad("--method", plain[1], "one method for every column, then COLUMN=METHOD pairs")
    if not per_column:
        return plain[0] if plain else "auto"
    if plain and plain[0] != "auto":
        _bad("--method", plain[0], "auto when COLUMN=METHOD pairs are given")
    return per_column


def _thresholds(given: list[str]) -> float | dict[str, float] | None:
    if not given:
        return None
    if len(given) == 1 and "=" not in given[0]:
        return _number(given[0])
    pairs = [_pair(item, "--threshold") for item in given]
    return {key: _number(value) for key, value in pairs}


def _pair(item: str, option: str) -> tuple[str, str]:
    key, _, value = item.partition("=")
    if not key or not value:
        _bad(option, item, "NAME=VALUE")
    return key, value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        _bad("--threshold", text, "a number or NAME=NUMBER")
        raise


def _bad(option: str, value: str, expected: str) -> None:
    from keel.errors import ConfigError

    raise ConfigError(f"The {option} option must be {expected}. Got {value!r} instead.")


def _print(report: DriftReport, html: Path | None) -> None:
    out = fmt.stdout()
    table = fmt.table(
        "column", "kind", "method", "statistic", "p-value", "distance", "threshold", "drift"
    )
    for c in report.columns:
        flag = "[bold red]DRIFT[/]" if c.drifted else "no"
        limit = f"{'p<' if c.compares == 'p_value' else '>'}{c.threshold:g}"
        table.add_row(
            fmt.escape(c.column),
            c.kind,
            c.method,
            _g(c.statistic),
            _g(c.p_value),
            _g(c.distance),
            limit,
            flag,
        )
    out.print(table)
    for c in report.columns:
        if c.note:
            out.print(f"{fmt.escape(c.column)}: {fmt.escape(c.note)}", soft_wrap=True)
    out.print(
        f"{len(report.drifted)} of {fmt.plural(len(report.columns), 'column')} drifted "
        f"({report.share_drifted:.0%}); reference {report.n_reference:,} rows, current "
        f"{report.n_current:,} rows."
    )
    if html is not None:
        out.print(f"HTML report written to {fmt.escape(str(html))}.")


def _g(value: Any) -> str:
    if value is None or value != value:
        return fmt.MISSING
    return f"{value:.3g}"

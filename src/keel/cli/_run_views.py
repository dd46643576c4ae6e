"""Tables and JSON shapes of runs, for the ``keel runs`` commands."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from keel.cli import _output as fmt

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from keel.store import ArtifactRecord, RunRecord

SHORT_ID = 8
MAX_PARAM_COLUMNS = 3
MAX_METRIC_COLUMNS = 4


def short(run_id: str) -> str:
    return run_id[:SHORT_ID]


def run_dict(run: RunRecord) -> dict[str, Any]:
    return {**dataclasses.asdict(run), "duration": run.duration}


def artifact_dict(artifact: ArtifactRecord) -> dict[str, Any]:
    return dataclasses.asdict(artifact)


# -- keel runs list ------------------------------------------------------------------------


@dataclasses.dataclass
class _Column:
    header: str
    cells: list[Text]
    style: str = "bold"
    justify: Literal["left", "right"] = "left"

    @property
    def width(self) -> int:
        # SIMPLE_HEAD without edges: one padding space each side and one divider between.
        return max(len(self.header), *(cell.cell_len for cell in self.cells)) + 3


def runs_table(runs: Sequence[RunRecord], width: int) -> Table:
    """One row per run, then as many param and metric columns as fit in ``width``: keys
    every run of the page has, those whose values differ first."""
    columns = _attribute_columns(runs)
    room = width + 3 - sum(column.width for column in columns)
    chosen = []
    for column in _key_columns(runs):
        if column.width <= room:
            chosen.append(column)
            room -= column.width
    columns += sorted(chosen, key=lambda c: not c.header.startswith("params."))
    experiments = {run.experiment for run in runs}
    title = f"Runs of {experiments.pop()}" if len(experiments) == 1 else None
    table = fmt.table(title=title)
    for column in columns:
        table.add_column(column.header, header_style=column.style, justify=column.justify)
    for row in zip(*(column.cells for column in columns), strict=True):
        table.add_row(*row)
    return table


def _attribute_columns(runs: Sequence[RunRecord]) -> list[_Column]:
    from rich.text import Text

    columns = [
        _Column("id", [Text(short(r.run_id)) for r in runs]),
        _Column("name", [Text(r.name) for r in runs]),
        _Column("experiment", [Text(r.experiment) for r in runs]),
        _Column("status", [Text.from_markup(fmt.status(r.status, _deleted(r))) for r in runs]),
        _Column("start", [Text(fmt.when(r.start_time)[:16]) for r in runs]),
        _Column("duration", [Text(fmt.duration(r.duration)) for r in runs], justify="right"),
    ]
    if len({r.experiment for r in runs}) == 1:  # named in the title instead
        del columns[2]
    return columns


def _key_columns(runs: Sequence[RunRecord]) -> list[_Column]:
    """Columns of the params and metrics every run has: at most 3 params and 4 metrics,
    those whose values differ between runs first."""
    from rich.text import Text

    candidates = []
    for entity, limit in (("params", MAX_PARAM_COLUMNS), ("metrics", MAX_METRIC_COLUMNS)):
        values = [getattr(run, entity) for run in runs]
        keys = _common_keys(values)
        varying = [k for k in keys if len({repr(v[k]) for v in values}) > 1]
        keys = (varying + [k for k in keys if k not in varying])[:limit]
        candidates += [(k not in varying, entity, k, [v[k] for v in values]) for k in keys]
    columns = []
    for _, entity, key, cells in sorted(candidates, key=lambda c: c[0]):  # stable: varying first
        if entity == "params":
            columns.append(_Column(f"params.{key}", [Text(v) for v in cells], "bold cyan"))
        else:
            texts = [Text(fmt.number(v)) for v in cells]
            columns.append(_Column(f"metrics.{key}", texts, "bold magenta", "right"))
    return columns


def _common_keys(mappings: Sequence[Mapping[str, Any]]) -> list[str]:
    shared = set(mappings[0]).intersection(*mappings[1:]) if mappings else set()
    return sorted(shared)


def _deleted(run: RunRecord) -> bool:
    return run.lifecycle == "deleted"


# -- keel runs show ------------------------------------------------------------------------


def attributes_table(run: RunRecord) -> Table:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    git = _or_missing(run.git_commit)
    if run.git_commit and run.git_dirty:
        git += " (dirty: uncommitted changes)"
    rows = {
        "id": run.run_id,
        "name": fmt.escape(run.name),
        "experiment": fmt.escape(run.experiment),
        "status": fmt.status(run.status, _deleted(run)),
        "started": fmt.when(run.start_time),
        "ended": fmt.when(run.end_time),
        "duration": fmt.duration(run.duration),
        "host": fmt.escape(_or_missing(run.host)),
        "pid": _or_missing(run.pid),
        "user": fmt.escape(_or_missing(run.user)),
        "git commit": git,
        "parent": _or_missing(run.parent_run_id),
    }
    if run.error:
        rows["error"] = f"[red]{fmt.escape(run.error)}[/]"
    if _deleted(run):
        rows["deleted"] = fmt.when(run.deleted_at)
    for key, value in rows.items():
        grid.add_row(key, value)
    return grid


def _or_missing(value: object) -> str:
    return fmt.MISSING if value is None else str(value)


def key_value_table(title: str, values: Mapping[str, str]) -> Table:
    table = fmt.table("key", "value", title=title)
    for key, value in values.items():
        table.add_row(fmt.escape(key), fmt.escape(value))
    return table


def metrics_table(latest: Mapping[str, float], counts: Mapping[str, int]) -> Table:
    table = fmt.table("key", "latest", "points", title="Metrics")
    table.columns[1].justify = table.columns[2].justify = "right"
    for key, value in latest.items():
        table.add_row(fmt.escape(key), fmt.number(value), str(counts.get(key, 0)))
    return table


def artifacts_table(artifacts: Sequence[ArtifactRecord]) -> Table:
    table = fmt.table("name", "size", "sha256", title="Artifacts")
    table.columns[1].justify = "right"
    for artifact in artifacts:
        table.add_row(fmt.escape(artifact.path), fmt.size(artifact.size), artifact.digest[:12])
    return table


# -- keel runs compare ---------------------------------------------------------------------


def comparison_rows(runs: Sequence[RunRecord]) -> list[dict[str, Any]]:
    """One row per attribute, param and metric of any of ``runs``; values in run order."""
    rows = [
        _row("name", [r.name for r in runs]),
        _row("experiment", [r.experiment for r in runs]),
        _row("status", [r.status for r in runs]),
        _row("duration", [r.duration for r in runs], same_if=fmt.duration),
    ]
    for entity in ("params", "metrics"):
        keys = sorted({key for r in runs for key in getattr(r, entity)})
        rows += [_row(f"{entity}.{k}", [getattr(r, entity).get(k) for r in runs]) for k in keys]
    return rows


def _row(key: str, values: list[Any], same_if: Callable[[Any], str] = repr) -> dict[str, Any]:
    """Values differ when ``same_if`` tells them apart; repr tells NaN from a missing value
    and NaN equals NaN. Durations differ only as shown, to a tenth of a second."""
    return {"key": key, "values": values, "differs": len({same_if(v) for v in values}) > 1}


def comparison_table(runs: Sequence[RunRecord], rows: Sequence[dict[str, Any]]) -> Table:
    table = fmt.table("", "", *(short(r.run_id) for r in runs))
    table.columns[1].no_wrap = True
    for column in table.columns[2:]:
        column.overflow = "fold"
    table.caption = "≠ marks (and colour highlights) the rows whose values differ"
    for row in rows:
        cells = [_cell(row["key"], value) for value in row["values"]]
        differs = row["differs"]
        style = "bold yellow" if differs else None
        table.add_row("≠" if differs else "", fmt.escape(row["key"]), *cells, style=style)
    return table


def _cell(key: str, value: Any) -> str:
    if value is None:
        return fmt.MISSING
    if key == "duration":
        return fmt.duration(value)
    if key.startswith("metrics."):
        return fmt.number(value)
    return fmt.escape(str(value))

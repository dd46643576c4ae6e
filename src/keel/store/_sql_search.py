"""Searching runs: a filtered, ordered page of run rows, then their params, tags and metrics.

A page costs four queries whatever the number of runs in the store: the page of run rows,
then params, tags and latest metrics for just those runs. Metric histories are never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.engine import Connection

from keel.store._records import RunRecord
from keel.store._schema import experiments, latest_metrics, params, runs, tags
from keel.store._sql_metrics import stored_value

_RUN_COLUMNS = [*runs.c, experiments.c.name.label("experiment")]


def select_runs(
    conn: Connection,
    *,
    where: Sequence[ColumnElement[bool]],
    order: Any = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RunRecord]:
    """Run records matching every clause of ``where``; ``order`` is a callable applying ORDER BY."""
    stmt = select(*_RUN_COLUMNS).join(
        experiments, experiments.c.experiment_id == runs.c.experiment_id
    )
    stmt = stmt.where(*where)
    stmt = (
        order(stmt) if order is not None else stmt.order_by(runs.c.start_time.desc(), runs.c.run_id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    # .all() fetches in one call; iterating the result would call fetchone() per row.
    rows = [row._asdict() for row in conn.execute(stmt).all()]
    return _hydrate(conn, rows)


def _hydrate(conn: Connection, rows: list[dict[str, Any]]) -> list[RunRecord]:
    if not rows:
        return []
    ids = {"ids": [row["run_id"] for row in rows]}
    run_params = _key_values(conn.execute(_PARAMS, ids).all())
    run_tags = _key_values(conn.execute(_TAGS, ids).all())
    run_metrics: dict[str, dict[str, float]] = defaultdict(dict)
    for run_id, key, value, is_nan in conn.execute(_METRICS, ids).all():
        run_metrics[run_id][key] = stored_value(value, is_nan)
    return [
        RunRecord(
            **row,
            params=run_params.get(row["run_id"], {}),
            tags=run_tags.get(row["run_id"], {}),
            metrics=dict(sorted(run_metrics.get(row["run_id"], {}).items())),
        )
        for row in rows
    ]


def _by_run_ids(*columns: Any) -> Any:
    # One expanding parameter, not one bound parameter per id: building ``in_(ids)`` per
    # page spent more time coercing 100 values than SQLite spent answering.
    table = columns[0].table
    where = table.c.run_id.in_(bindparam("ids", expanding=True))
    return select(*columns).where(where).order_by(table.c.run_id, table.c.key)


_PARAMS = _by_run_ids(params.c.run_id, params.c.key, params.c.value)
_TAGS = _by_run_ids(tags.c.run_id, tags.c.key, tags.c.value)
_METRICS = _by_run_ids(
    latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value, latest_metrics.c.is_nan
)


def _key_values(rows: Sequence[Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for run_id, key, value in rows:
        found[run_id][key] = value
    return found

"""Named per-entity histories of feature rows: append, and read each entity's newest rows.

A row is ``(entity, event_time, values_json)``: the entity key as text, the event time in
float seconds (None when the history has no time column) and a JSON list of values. The
autoincrement ``seq`` orders rows: "newest" means last inserted. keel.features'
``StoreHistory`` is the one user; it owns the meaning of the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from keel.store._schema import feature_history as table

#: (entity, event_time, values_json), as stored and as read back.
HistoryRow = tuple[str, float | None, str]

_CHUNK = 500  # entities per IN list: well under SQLite's bound-parameter limit
_INSERT = "INSERT INTO feature_history (name, entity, event_time, values_json) VALUES "


def write_history(
    conn: Connection, name: str, rows: Sequence[HistoryRow], *, replace: bool
) -> None:
    """Append rows to the history ``name``; with ``replace``, drop its old rows first."""
    if replace:
        conn.execute(delete(table).where(table.c.name == name))
    if not rows:
        return
    # Measured: Core's per-row parameter processing is the bulk of a large append (a
    # fitted step writes up to max_history rows per entity); the driver's executemany
    # takes plain tuples, as in _sql_metrics.
    marks = "(?, ?, ?, ?)" if conn.dialect.name == "sqlite" else "(%s, %s, %s, %s)"
    params: Any = [(name, entity, time, values) for entity, time, values in rows]
    conn.exec_driver_sql(_INSERT + marks, params)


def read_history(
    conn: Connection, name: str, entities: Sequence[str] | None, n: int
) -> list[HistoryRow]:
    """The newest ``n`` rows of each entity (every entity when None), grouped by entity,
    oldest first within each."""
    if entities is not None and len(entities) == 1:
        return _recent(conn, name, entities[0], n)
    if entities is None:
        return _ranked(conn, name, None, n)
    found: list[HistoryRow] = []
    unique = sorted(set(entities))
    for start in range(0, len(unique), _CHUNK):
        found.extend(_ranked(conn, name, unique[start : start + _CHUNK], n))
    return found


def _recent(conn: Connection, name: str, entity: str, n: int) -> list[HistoryRow]:
    stmt = (
        select(table.c.event_time, table.c.values_json)
        .where(table.c.name == name, table.c.entity == entity)
        .order_by(table.c.seq.desc())
        .limit(n)
    )
    return [(entity, time, values) for time, values in reversed(conn.execute(stmt).all())]


def _ranked(
    conn: Connection, name: str, entities: Sequence[str] | None, n: int
) -> list[HistoryRow]:
    newest_first = table.c.seq.desc()
    rank = func.row_number().over(partition_by=table.c.entity, order_by=newest_first)
    inner = select(table.c.entity, table.c.event_time, table.c.values_json, table.c.seq)
    inner = inner.add_columns(rank.label("rank")).where(table.c.name == name)
    if entities is not None:
        inner = inner.where(table.c.entity.in_(entities))
    ranked = inner.subquery()
    stmt = (
        select(ranked.c.entity, ranked.c.event_time, ranked.c.values_json)
        .where(ranked.c.rank <= n)
        .order_by(ranked.c.entity, ranked.c.seq)
    )
    return [(entity, time, values) for entity, time, values in conn.execute(stmt)]

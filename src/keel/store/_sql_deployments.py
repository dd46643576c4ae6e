"""Deployments' SQL: the state row (optimistic revision), the event log, the counters.

The store sees a deployment's state as a JSON object; keel.rollout gives it meaning. Every
function takes a connection inside the caller's transaction, so a state change and its
event are written together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from keel.store._json import dumps_plain
from keel.store._schema import deployment_counts, deployment_events, deployments

#: (epoch, version, minute, counter) -> increment.
CountKey = tuple[int, int, int, str]


@dataclass(frozen=True)
class DeploymentEventRow:
    """One change of a deployment as recorded: what, when, by whom, why and on what
    evidence, with the state it wrote. ``seq`` is None until written."""

    deployment: str
    at: float
    revision: int
    kind: str
    actor: str
    reason: str | None
    evidence: dict[str, Any]
    state: dict[str, Any]
    seq: int | None = None


def get_state(conn: Connection, name: str) -> dict[str, Any] | None:
    stmt = select(deployments.c.state_json).where(deployments.c.name == name)
    found = conn.execute(stmt).scalar()
    return None if found is None else dict(json.loads(found))


def list_states(conn: Connection) -> list[dict[str, Any]]:
    stmt = select(deployments.c.state_json).order_by(deployments.c.name)
    return [json.loads(text) for text in conn.execute(stmt).scalars()]


def write_state(
    conn: Connection, state: Mapping[str, Any], expected: int | None, now: float
) -> bool:
    """Insert (``expected`` None) or update the row at revision ``expected``; False when
    the row exists already (insert) or moved on to another revision meanwhile (update)."""
    values = {
        "model": state["model"],
        "strategy": state["strategy"],
        "status": state["status"],
        "revision": int(state["revision"]),
        "epoch": int(state["epoch"]),
        "state_json": json.dumps(dict(state), sort_keys=True),
        "updated_at": now,
    }
    name = state["name"]
    if expected is None:
        if get_state(conn, name) is not None:
            return False
        conn.execute(insert(deployments).values(name=name, created_at=now, **values))
        return True
    stmt = (
        update(deployments)
        .where(deployments.c.name == name, deployments.c.revision == expected)
        .values(**values)
    )
    return conn.execute(stmt).rowcount == 1


def append_event(conn: Connection, event: DeploymentEventRow) -> None:
    conn.execute(
        insert(deployment_events).values(
            deployment=event.deployment,
            at=event.at,
            revision=event.revision,
            kind=event.kind,
            actor=event.actor,
            reason=event.reason,
            evidence_json=dumps_plain(event.evidence),
            state_json=json.dumps(event.state, sort_keys=True),
        )
    )


def list_events(conn: Connection, name: str) -> list[DeploymentEventRow]:
    table = deployment_events
    stmt = select(table).where(table.c.deployment == name).order_by(table.c.seq)
    return [
        DeploymentEventRow(
            deployment=row.deployment,
            at=row.at,
            revision=row.revision,
            kind=row.kind,
            actor=row.actor,
            reason=row.reason,
            evidence=json.loads(row.evidence_json),
            state=json.loads(row.state_json),
            seq=row.seq,
        )
        for row in conn.execute(stmt)
    ]


def add_counts(conn: Connection, name: str, increments: Mapping[CountKey, float]) -> None:
    """Add increments to the counters in one statement (PostgreSQL refuses a statement
    that touches a row twice, so the caller passes each key once)."""
    if not increments:
        return
    rows = [
        {
            "deployment": name,
            "epoch": epoch,
            "version": version,
            "minute": minute,
            "counter": counter,
            "value": float(value),
        }
        for (epoch, version, minute, counter), value in increments.items()
    ]
    stmt = _dialect_insert(conn)(deployment_counts).values(rows)
    keys = ["deployment", "epoch", "version", "minute", "counter"]
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=keys, set_={"value": deployment_counts.c.value + stmt.excluded.value}
        )
    )


def _dialect_insert(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def count_totals(conn: Connection, name: str, epoch: int) -> list[tuple[int, str, float]]:
    """(version, counter, total over minutes) for one epoch."""
    table = deployment_counts
    stmt = (
        select(table.c.version, table.c.counter, func.sum(table.c.value))
        .where(table.c.deployment == name, table.c.epoch == epoch)
        .group_by(table.c.version, table.c.counter)
        .order_by(table.c.version, table.c.counter)
    )
    return [(int(v), str(c), float(total)) for v, c, total in conn.execute(stmt)]


def count_series(conn: Connection, name: str, epoch: int) -> list[tuple[int, int, str, float]]:
    """(minute, version, counter, value) rows of one epoch, in time order."""
    table = deployment_counts
    stmt = (
        select(table.c.minute, table.c.version, table.c.counter, table.c.value)
        .where(table.c.deployment == name, table.c.epoch == epoch)
        .order_by(table.c.minute, table.c.version, table.c.counter)
    )
    return [(int(m), int(v), str(c), float(x)) for m, v, c, x in conn.execute(stmt)]

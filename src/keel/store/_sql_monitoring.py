"""Monitoring's SQL: stored monitor reports and the alert events they fired.

The store sees a report's metrics and body as JSON objects; keel.monitoring gives them
meaning. Every function takes a connection inside the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import desc, insert, select, update
from sqlalchemy.engine import Connection

from keel.store._json import dumps_plain
from keel.store._schema import alert_events, monitor_reports

__all__ = [
    "AlertEventRow",
    "MonitorReportRow",
    "add_alert_event",
    "add_report",
    "get_report",
    "last_alert_event",
    "list_alert_events",
    "list_reports",
    "mark_delivered",
    "set_report_html",
]


@dataclass(frozen=True)
class MonitorReportRow:
    """One stored monitor report. ``id`` is None until written."""

    model: str
    version: int | None
    window_start: float | None
    window_end: float | None
    rows: int
    metrics: dict[str, Any]
    report: dict[str, Any]
    created_at: float
    html_digest: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class AlertEventRow:
    """One fired alert as recorded. ``id`` is None until written."""

    model: str
    rule: str
    fingerprint: str
    fired_at: float
    severity: str
    payload: dict[str, Any]
    delivered: bool
    report_id: int | None = None
    id: int | None = None


def add_report(conn: Connection, row: MonitorReportRow) -> int:
    result = conn.execute(
        insert(monitor_reports).values(
            model=row.model,
            version=row.version,
            window_start=row.window_start,
            window_end=row.window_end,
            rows=row.rows,
            metrics_json=dumps_plain(row.metrics),
            report_json=dumps_plain(row.report),
            html_digest=row.html_digest,
            created_at=row.created_at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def set_report_html(conn: Connection, report_id: int, digest: str) -> None:
    table = monitor_reports
    conn.execute(update(table).where(table.c.id == report_id).values(html_digest=digest))


def list_reports(
    conn: Connection, model: str | None, limit: int | None, *, with_body: bool = False
) -> list[MonitorReportRow]:
    """Reports newest first (of one model when given); bodies only when asked for."""
    table = monitor_reports
    columns = [c for c in table.c if with_body or c.name != "report_json"]
    stmt = select(*columns).order_by(desc(table.c.id))
    if model is not None:
        stmt = stmt.where(table.c.model == model)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_report(row, with_body) for row in conn.execute(stmt)]


def get_report(conn: Connection, report_id: int) -> MonitorReportRow | None:
    row = conn.execute(select(monitor_reports).where(monitor_reports.c.id == report_id)).first()
    return None if row is None else _report(row, True)


def add_alert_event(conn: Connection, event: AlertEventRow) -> int:
    result = conn.execute(
        insert(alert_events).values(
            model=event.model,
            rule=event.rule,
            fingerprint=event.fingerprint,
            fired_at=event.fired_at,
            severity=event.severity,
            report_id=event.report_id,
            payload_json=dumps_plain(event.payload),
            delivered=event.delivered,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def mark_delivered(conn: Connection, event_id: int, delivered: bool) -> None:
    table = alert_events
    conn.execute(update(table).where(table.c.id == event_id).values(delivered=delivered))


def last_alert_event(conn: Connection, fingerprint: str) -> AlertEventRow | None:
    table = alert_events
    stmt = select(table).where(table.c.fingerprint == fingerprint).order_by(desc(table.c.id))
    row = conn.execute(stmt.limit(1)).first()
    return None if row is None else _event(row)


def list_alert_events(
    conn: Connection, model: str | None, limit: int | None
) -> list[AlertEventRow]:
    """Alert events newest first (of one model when given)."""
    table = alert_events
    stmt = select(table).order_by(desc(table.c.id))
    if model is not None:
        stmt = stmt.where(table.c.model == model)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_event(row) for row in conn.execute(stmt)]


def _report(row: Any, with_body: bool) -> MonitorReportRow:
    body = json.loads(row.report_json) if with_body else {}
    if body:
        body["id"] = int(row.id)  # written before the row had its id
    return MonitorReportRow(
        model=row.model,
        version=row.version,
        window_start=row.window_start,
        window_end=row.window_end,
        rows=int(row.rows),
        metrics=json.loads(row.metrics_json),
        report=body,
        created_at=row.created_at,
        html_digest=row.html_digest,
        id=int(row.id),
    )


def _event(row: Any) -> AlertEventRow:
    return AlertEventRow(
        model=row.model,
        rule=row.rule,
        fingerprint=row.fingerprint,
        fired_at=row.fired_at,
        severity=row.severity,
        payload=json.loads(row.payload_json),
        delivered=bool(row.delivered),
        report_id=row.report_id,
        id=int(row.id),
    )

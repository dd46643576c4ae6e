"""Alert rules checked against a stored monitor report: window, cooldown, deduplication.

For each rule, in order:

1. its condition on the report's metrics: false, or *unknown* (a metric it reads is
   missing), and nothing happens;
2. ``window: N``: the condition must also have held in the model's N - 1 reports before
   this one, else the rule is *pending*;
3. deduplication: an alert already fired (delivered or not) for the same rule on the same
   window is never fired again — running ``keel monitor run`` twice on an unchanged log
   alerts once;
4. cooldown: after a delivered alert, the same rule (same fingerprint: model, condition,
   severity, sink) stays quiet for ``cooldown``, over new windows too;
5. the alert is recorded (``alert_events``), sent, and marked delivered or not.

State lives in the store, so every process that runs monitors shares it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from keel.errors import MonitoringError
from keel.monitoring._rules import parse_condition
from keel.monitoring._sinks import Alert, AlertSink, sink_for

if TYPE_CHECKING:
    from keel.monitoring._spec import AlertRule
    from keel.store import SQLStore
    from keel.store._sql_monitoring import MonitorReportRow

__all__ = ["AlertOutcome", "check_alerts", "fingerprint"]

State = Literal["fired", "failed", "quiet", "unknown", "pending", "duplicate", "cooldown"]


@dataclass(frozen=True)
class AlertOutcome:
    """What a rule did on one report: ``state`` and, when it fired, whether the sink took
    the alert (``failed`` with ``error`` when it did not)."""

    rule: str
    state: State
    severity: str
    values: dict[str, float | None]
    event_id: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "state": self.state,
            "severity": self.severity,
            "values": self.values,
            "event_id": self.event_id,
            "error": self.error,
        }


def fingerprint(model: str, rule: AlertRule) -> str:
    """The identity of a rule's alerts across runs: model, condition, name, severity, sink."""
    target = rule.url or ",".join(rule.to) or ""
    key = [model, rule.when, rule.name, rule.severity, rule.send, target]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


def check_alerts(
    store: SQLStore,
    rules: Sequence[AlertRule],
    report: MonitorReportRow,
    *,
    now: float | None = None,
    sinks: Mapping[str, AlertSink] | None = None,
) -> list[AlertOutcome]:
    """Check ``rules`` on a stored ``report`` and send the alerts that are due.

    ``sinks`` overrides the sink of a rule by its title (name or condition); otherwise a
    rule's ``send`` picks the log, a webhook or email.
    """
    now = time.time() if now is None else now
    return [_check(store, rule, report, now, (sinks or {}).get(rule.title)) for rule in rules]


def _check(
    store: SQLStore, rule: AlertRule, report: MonitorReportRow, now: float, sink: AlertSink | None
) -> AlertOutcome:
    condition = parse_condition(rule.when)
    values = {name: _number(report.metrics.get(name)) for name in condition.metrics}

    def outcome(
        state: State, event_id: int | None = None, error: str | None = None
    ) -> AlertOutcome:
        return AlertOutcome(rule.title, state, rule.severity, values, event_id, error)

    held = condition.evaluate(report.metrics)
    if held is None:
        return outcome("unknown")
    if not held:
        return outcome("quiet")
    if rule.window > 1 and not _held_before(store, rule, report):
        return outcome("pending")
    print_ = fingerprint(report.model, rule)
    last = store.last_alert_event(print_)
    if last is not None and last.payload.get("window_end") == report.window_end:
        return outcome("duplicate", event_id=last.id)
    if last is not None and last.delivered and now - last.fired_at < rule.cooldown_seconds:
        return outcome("cooldown", event_id=last.id)
    event_id, error = _fire(store, rule, report, now, print_, values, sink or sink_for(rule))
    return outcome("failed" if error else "fired", event_id=event_id, error=error)


def _held_before(store: SQLStore, rule: AlertRule, report: MonitorReportRow) -> bool:
    condition = parse_condition(rule.when)
    earlier = [
        row
        for row in store.monitor_reports(report.model, limit=rule.window)
        if report.id is None or (row.id is not None and row.id < report.id)
    ][: rule.window - 1]
    return len(earlier) == rule.window - 1 and all(
        condition.evaluate(row.metrics) for row in earlier
    )


def _fire(
    store: SQLStore,
    rule: AlertRule,
    report: MonitorReportRow,
    now: float,
    print_: str,
    values: dict[str, float | None],
    sink: AlertSink,
) -> tuple[int, str | None]:
    """Record the alert, send it, mark it delivered: (event id, error or None)."""
    from keel.store._sql_monitoring import AlertEventRow

    alert = Alert(
        rule=rule.title,
        when=rule.when,
        severity=rule.severity,
        model=report.model,
        version=report.version,
        fired_at=now,
        values=values,
        report_id=report.id,
        window_start=report.window_start,
        window_end=report.window_end,
    )
    event = AlertEventRow(
        model=report.model,
        rule=rule.title,
        fingerprint=print_,
        fired_at=now,
        severity=rule.severity,
        payload=alert.to_dict(),
        delivered=False,
        report_id=report.id,
    )
    event_id = store.add_alert_event(event)
    try:
        sink.send(alert)
    except MonitoringError as exc:
        return event_id, str(exc)
    store.mark_alert_delivered(event_id, True)
    return event_id, None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None

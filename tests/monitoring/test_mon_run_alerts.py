"""Alert rules on stored reports: conditions, window, deduplication, cooldown, state in
the store (a real SQLite store, a real in-memory sink)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keel.errors import ConfigError, MonitoringError
from keel.monitoring._alerts import check_alerts
from keel.monitoring._rules import parse_condition
from keel.monitoring._sinks import AlertSink, MemorySink
from keel.monitoring._spec import AlertRule, parse_monitor_spec
from keel.store import SQLStore
from keel.store._sql_monitoring import MonitorReportRow

HOUR = 3600.0


@pytest.fixture
def store(tmp_path: Path) -> SQLStore:
    opened = SQLStore(f"sqlite:///{tmp_path / 'k.db'}")
    opened.open()
    yield opened
    opened.close()


def _report(store: SQLStore, share: float, end: float, model: str = "churn") -> MonitorReportRow:
    row = MonitorReportRow(
        model=model,
        version=1,
        window_start=end - HOUR,
        window_end=end,
        rows=100,
        metrics={"drift.share": share, "estimated.roc_auc": 0.9},
        report={},
        created_at=end,
    )
    report_id = store.add_monitor_report(row)
    found = store.monitor_report(report_id)
    assert found is not None
    return found


def _check(store: SQLStore, rule: AlertRule, report: MonitorReportRow, now: float, sink: AlertSink):
    return check_alerts(store, [rule], report, now=now, sinks={rule.title: sink})[0]


def test_condition_grammar_and_three_valued_logic() -> None:
    cond = parse_condition('drift.columns."monthly spend".distance >= 0.2 or drift.share > 0.5')
    assert cond.metrics == ("drift.columns.monthly spend.distance", "drift.share")
    assert cond.evaluate({"drift.share": 0.6}) is True  # unknown or true
    assert cond.evaluate({"drift.share": 0.1}) is None  # unknown or false
    assert parse_condition("(a > 1) and not (b < 2)").evaluate({"a": 2, "b": 3}) is True
    assert parse_condition("a > b").evaluate({"a": 2, "b": float("nan")}) is None
    for bad in ["drift.share >", "drift.share = 1", "os.system('x') > 1", "a > 1 b", "(a > 1"]:
        with pytest.raises(MonitoringError, match="is not valid at position"):
            parse_condition(bad)


def test_rules_are_checked_when_keel_yaml_loads() -> None:
    with pytest.raises(ConfigError, match=r"'when' setting of monitor.alerts.0 must be"):
        parse_monitor_spec({"alerts": [{"when": "drift.share >> 1"}]})
    with pytest.raises(ConfigError, match="url"):
        parse_monitor_spec({"alerts": [{"when": "drift.share > 1", "send": "webhook"}]})
    with pytest.raises(ConfigError, match="cooldown"):
        parse_monitor_spec({"alerts": [{"when": "drift.share > 1", "cooldown": "later"}]})


def test_cooldown_silences_a_rule_then_lets_it_fire_again(store: SQLStore) -> None:
    rule = AlertRule(when="drift.share > 0.3", cooldown="2h")
    sink, t = MemorySink(), 1_767_225_600.0
    assert _check(store, rule, _report(store, 0.5, t), t, sink).state == "fired"
    assert _check(store, rule, _report(store, 0.6, t + HOUR), t + HOUR, sink).state == "cooldown"
    assert (
        _check(store, rule, _report(store, 0.1, t + 2 * HOUR), t + 2 * HOUR, sink).state == "quiet"
    )
    later = _check(store, rule, _report(store, 0.7, t + 3 * HOUR), t + 3 * HOUR, sink)
    assert later.state == "fired" and later.values == {"drift.share": 0.7}
    assert [a.values["drift.share"] for a in sink.alerts] == [0.5, 0.7]
    events = store.alert_events("churn")
    assert [e.delivered for e in events] == [True, True] and events[0].payload[
        "window_end"
    ] == t + 3 * HOUR


def test_the_same_window_alerts_once_even_after_the_cooldown(store: SQLStore) -> None:
    rule = AlertRule(when="drift.share > 0.3", cooldown=0)
    sink, t = MemorySink(), 1_767_225_600.0
    report = _report(store, 0.5, t)
    assert _check(store, rule, report, t, sink).state == "fired"
    again = _report(store, 0.5, t)  # monitor run again on an unchanged log
    assert _check(store, rule, again, t + 10 * HOUR, sink).state == "duplicate"
    assert len(sink.alerts) == 1
    other_model = _report(store, 0.5, t, model="fraud")
    assert _check(store, rule, other_model, t, sink).state == "fired"  # its own fingerprint


def test_window_needs_consecutive_reports_and_unknown_never_fires(store: SQLStore) -> None:
    rule = AlertRule(when="drift.share > 0.3", window=3, cooldown=0)
    sink, t = MemorySink(), 1_767_225_600.0
    states = [
        _check(store, rule, _report(store, share, t + i * HOUR), t + i * HOUR, sink).state
        for i, share in enumerate([0.5, 0.5, 0.1, 0.5, 0.5, 0.5])
    ]
    assert states == ["pending", "pending", "quiet", "pending", "pending", "fired"]
    missing = AlertRule(when="performance.roc_auc < 0.8")
    assert _check(store, missing, _report(store, 0.9, t), t, sink).state == "unknown"


def test_a_failed_delivery_is_recorded_and_retried_next_run(store: SQLStore) -> None:
    class Down(AlertSink):
        def send(self, alert):  # type: ignore[no-untyped-def]
            raise MonitoringError("receiver down")

    rule = AlertRule(when="drift.share > 0.3", cooldown="1d")
    t = 1_767_225_600.0
    failed = _check(store, rule, _report(store, 0.5, t), t, Down())
    assert failed.state == "failed" and failed.error == "receiver down"
    assert store.alert_events()[0].delivered is False
    sink = MemorySink()  # an undelivered alert starts no cooldown
    assert _check(store, rule, _report(store, 0.5, t + HOUR), t + HOUR, sink).state == "fired"

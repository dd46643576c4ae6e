"""A stored monitor report as one self-contained HTML page (inline SVG, no scripts, no
external files): the window and verdicts, drift share and performance over time across the
model's stored reports, the per-feature drift table and a distribution overlay for each
drifted feature.

Example:
    >>> from keel.store._sql_monitoring import MonitorReportRow
    >>> rows = [MonitorReportRow("churn", 1, 0.0, 3600.0 * i, 100, {"drift.share": s,
    ...         "estimated.roc_auc": 0.9 - s / 4}, {"notes": []}, 0.0, id=i)
    ...         for i, s in enumerate([0.0, 0.1, 0.4], start=1)]
    >>> page = render_report_html(rows[-1], rows)
    >>> page.count("<svg"), "drift.share" in page
    (2, True)
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keel.store._sql_monitoring import MonitorReportRow

__all__ = ["render_report_html", "write_report_html"]

_W, _H, _PAD = 560, 160, 28
_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
table{border-collapse:collapse;font-size:14px}td,th{padding:4px 10px;border-bottom:1px solid #ddd;
text-align:left}tr.drift td{background:#fde8e8}.note{color:#555;font-size:13px}"""
#: Series drawn over time, when the reports have them.
_SERIES = ("drift.share", "prediction_drift.distance", "estimated.roc_auc", "performance.roc_auc",
           "estimated.accuracy", "performance.accuracy", "performance.rmse")  # fmt: skip


def write_report_html(
    row: MonitorReportRow, history: Sequence[MonitorReportRow], path: str | os.PathLike[str]
) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render_report_html(row, history))


def render_report_html(row: MonitorReportRow, history: Sequence[MonitorReportRow]) -> str:
    """The page as a string; ``history`` is the model's reports, oldest first."""
    body = row.report
    title = f"{row.model}" + ("" if row.version is None else f" v{row.version}")
    parts = [f"<h1>Monitoring: {_e(title)}</h1>", _summary(row)]
    parts += [_trend(name, history) for name in _SERIES if _has(name, history)]
    parts.append(_drift_table(body.get("drift") or {}))
    for column, data in (body.get("overlays") or {}).items():
        parts.append(f"<h3>{_e(column)}</h3>{_overlay(data)}")
    notes = "".join(f"<li>{_e(n)}</li>" for n in body.get("notes", []))
    if notes:
        parts.append(f"<h2>Notes</h2><ul class='note'>{notes}</ul>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>keel monitor report</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )


def _summary(row: MonitorReportRow) -> str:
    metrics = row.metrics
    cells = [
        ("report", str(row.id)),
        ("window", f"{_time(row.window_start)} — {_time(row.window_end)}"),
        ("rows", f"{row.rows:,}"),
        ("reference", str(row.report.get("reference", "—"))),
    ]
    cells += [(k, _num(v)) for k, v in sorted(metrics.items()) if not k.startswith("drift.columns")]
    trs = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in cells)
    return f"<table>{trs}</table>"


def _drift_table(drift: dict[str, Any]) -> str:
    columns = drift.get("columns") or []
    if not columns:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("feature", "kind", "method", "distance", "threshold",
                                             "p-value", "drifted", "note"))  # fmt: skip
    rows = []
    for c in columns:
        numbers = [_num(c.get(k)) for k in ("distance", "threshold", "p_value")]
        cells = [c["column"], c["kind"], c["method"], *numbers, "yes" if c["drifted"] else "no"]
        tds = "".join(f"<td>{_e(str(x))}</td>" for x in cells)
        note = f"<td class='note'>{_e(c.get('note') or '')}</td>"
        rows.append(f"<tr class='{'drift' if c['drifted'] else ''}'>{tds}{note}</tr>")
    return f"<h2>Data drift</h2><table><tr>{head}</tr>{''.join(rows)}</table>"


def _overlay(data: dict[str, Any]) -> str:
    from keel.monitoring._drift_html import _svg

    legend = ("<div class='note'><span style='color:#4c78a8'>■</span> reference "
              "<span style='color:#f58518'>■</span> current</div>")  # fmt: skip
    return _svg(data) + legend


def _has(name: str, history: Sequence[MonitorReportRow]) -> bool:
    return any(_finite(r.metrics.get(name)) for r in history)


def _trend(name: str, history: Sequence[MonitorReportRow]) -> str:
    points = [(r.window_end or 0.0, float(r.metrics[name])) for r in history
              if _finite(r.metrics.get(name))]  # fmt: skip
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(min(ys), 0.0), max(max(ys), 1e-12)

    def at(x: float, y: float) -> tuple[float, float]:
        fx = 0.5 if x1 == x0 else (x - x0) / (x1 - x0)
        return _PAD + fx * (_W - 2 * _PAD), _H - _PAD - (y - y0) / (y1 - y0) * (_H - 2 * _PAD)

    coords = [at(x, y) for x, y in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='#4c78a8'/>" for x, y in coords)
    labels = (f"<text x='4' y='{_PAD}' font-size='10'>{y1:.3g}</text>"
              f"<text x='4' y='{_H - _PAD}' font-size='10'>{y0:.3g}</text>"
              f"<text x='{_PAD}' y='{_H - 6}' font-size='10'>{_e(_time(x0))}</text>"
              f"<text x='{_W - _PAD}' y='{_H - 6}' font-size='10' "
              f"text-anchor='end'>{_e(_time(x1))}</text>")  # fmt: skip
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{_W}' height='{_H}'>"
           f"<polyline points='{line}' fill='none' stroke='#4c78a8' stroke-width='2'/>"
           f"{dots}{labels}</svg>")  # fmt: skip
    return f"<h2>{_e(name)} over time</h2>{svg}"


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _num(value: Any) -> str:
    return f"{value:.4g}" if _finite(value) else "—"


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _e(text: str) -> str:
    return html.escape(text)

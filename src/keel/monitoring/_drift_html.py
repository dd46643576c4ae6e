"""The drift report as one self-contained HTML page: the per-column table, then for each
drifted column the reference and current distributions overlaid (inline SVG, no scripts,
no external files).

Example:
    >>> import numpy as np, pandas as pd
    >>> from keel.monitoring import drift_report
    >>> rng = np.random.default_rng(1)
    >>> report = drift_report(pd.DataFrame({"x": rng.normal(size=500)}),
    ...                       pd.DataFrame({"x": rng.normal(2.0, size=500)}))
    >>> page = render_html(report)
    >>> page.count("<svg"), "x" in report.overlays
    (1, True)
"""

from __future__ import annotations

import html
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from keel.monitoring._stats_numeric import bin_counts

if TYPE_CHECKING:
    from keel.monitoring._current import CurrentColumn
    from keel.monitoring._drift import ColumnDrift, DriftReport

#: Bars per numeric overlay, and categories shown per categorical one.
_BINS = 30
_TOP_CATEGORIES = 20
_W, _H, _PAD = 560, 180, 24
_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:14px}td,th{padding:4px 10px;border-bottom:1px solid #ddd;
text-align:left}tr.drift td{background:#fde8e8}.note{color:#555;font-size:12px;max-width:40em}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}"""


def overlay(window: CurrentColumn) -> dict[str, Any]:
    """Both sides' shares on a shared grid: equal-width bins for numbers, top categories."""
    reference = window.reference
    if reference.kind == "categorical":
        names, ref, cur = window.category_table
        ref_s, cur_s = ref / max(ref.sum(), 1e-300), cur / max(cur.sum(), 1)
        top = np.argsort(-np.maximum(ref_s, cur_s), kind="stable")[:_TOP_CATEGORIES]
        return {
            "kind": "categorical",
            "labels": [names[i] for i in top],
            "reference": ref_s[top].tolist(),
            "current": cur_s[top].tolist(),
        }
    if reference.values is None or not reference.has_values:
        ref_s, cur_s = window.bin_shares
        return {
            "kind": "binned",
            "edges": reference.edges.tolist(),
            "reference": ref_s.tolist(),
            "current": cur_s.tolist(),
        }
    edges = _grid(reference.values, window.values)
    return {
        "kind": "numeric",
        "edges": edges.tolist(),
        "reference": _shares(reference.values, edges),
        "current": _shares(window.values, edges),
    }


def _grid(reference: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Equal-width edges over both sides' 0.5% to 99.5% range (the tails would flatten it)."""

    def at(values: np.ndarray, q: float) -> float:
        return float(values[min(int(q * values.size), values.size - 1)])

    lo, hi = (
        min(at(reference, 0.005), at(current, 0.005)),
        max(at(reference, 0.995), at(current, 0.995)),
    )
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, _BINS + 1)


def _shares(sorted_values: np.ndarray, edges: np.ndarray) -> list[float]:
    counts = bin_counts(sorted_values, edges[1:-1])  # outer bins take the tails
    return (counts / sorted_values.size).tolist()


def render_html(report: DriftReport) -> str:
    """The page as a string."""
    rows = "".join(_row(c) for c in report.columns)
    plots = "".join(_plot(c, report.overlays.get(c.column)) for c in report.columns if c.drifted)
    head = (
        f"<p>{len(report.drifted)} of {len(report.columns)} columns drifted "
        f"({report.share_drifted:.0%}); reference {report.n_reference:,} rows, "
        f"current {report.n_current:,} rows; method {html.escape(report.method)}.</p>"
    )
    header = "".join(
        f"<th>{h}</th>"
        for h in (
            "column",
            "kind",
            "method",
            "statistic",
            "p-value",
            "distance",
            "threshold",
            "drifted",
            "note",
        )
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>keel drift report</title>"
        f"<style>{_STYLE}</style></head><body><h1>Data drift</h1>{head}"
        f"<table><tr>{header}</tr>{rows}</table>{plots}</body></html>"
    )


def write_html(report: DriftReport, path: str | os.PathLike[str]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render_html(report))


def _row(c: ColumnDrift) -> str:
    cells = [
        c.column,
        c.kind,
        c.method,
        _num(c.statistic),
        _num(c.p_value),
        _num(c.distance),
        f"{'p <' if c.compares == 'p_value' else '>'} {c.threshold:g}",
        "yes" if c.drifted else "no",
    ]
    tds = "".join(f"<td>{html.escape(str(x))}</td>" for x in cells)
    note = f"<td class='note'>{html.escape(c.note)}</td>"
    return f"<tr class='{'drift' if c.drifted else ''}'>{tds}{note}</tr>"


def _num(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.4g}"


def _plot(c: ColumnDrift, data: dict[str, Any] | None) -> str:
    if not data:
        return ""
    legend = (
        "<div class='legend'><span style='background:#4c78a8'></span>reference"
        "<span style='background:#f58518'></span>current</div>"
    )
    return f"<h2>{html.escape(c.column)}</h2>{_svg(data)}{legend}"


def _svg(data: dict[str, Any]) -> str:
    ref, cur = np.asarray(data["reference"]), np.asarray(data["current"])
    top = max(float(ref.max(initial=0)), float(cur.max(initial=0)), 1e-12)
    n = len(ref)
    width = (_W - 2 * _PAD) / max(n, 1)
    bars = []
    for values, color, offset in ((ref, "#4c78a8", 0.0), (cur, "#f58518", 0.5)):
        for i, share in enumerate(values):
            h = (_H - 2 * _PAD) * share / top
            x = _PAD + i * width + offset * width * 0.9
            bars.append(
                f"<rect x='{x:.1f}' y='{_H - _PAD - h:.1f}' width='{width * 0.45:.1f}' "
                f"height='{h:.1f}' fill='{color}' fill-opacity='0.8'/>"
            )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{_W}' height='{_H}'>"
        f"{''.join(bars)}{_axis(data, n, width)}</svg>"
    )


def _axis(data: dict[str, Any], n: int, width: float) -> str:
    if data["kind"] == "categorical":
        labels = [(i + 0.5, str(label)[:10]) for i, label in enumerate(data["labels"])]
    else:
        edges = data["edges"]
        labels = [(0.0, f"{edges[0]:.3g}"), (float(n), f"{edges[-1]:.3g}")] if edges else []
    return "".join(
        f"<text x='{_PAD + pos * width:.1f}' y='{_H - 6}' font-size='10' text-anchor='middle'>"
        f"{html.escape(text)}</text>"
        for pos, text in labels
    )

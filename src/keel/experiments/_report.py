"""The HTML report of an experiment: tables of the analysis and two kinds of plot, each
metric's cumulative value per arm over time with its interval, and the allocation of
requests per minute. One self-contained file: plots are inline SVG, no scripts.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from keel.experiments._analysis import ExperimentAnalysis

__all__ = ["allocation_timeline", "metric_timeline", "write_html"]


def _cumulative(counts: pd.DataFrame) -> pd.DataFrame:
    """Counters summed up to each minute, one row per (minute, version), zero-filled."""
    wide = counts.pivot_table(
        index="minute", columns=["version", "counter"], values="value", aggfunc="sum"
    )
    return wide.sort_index().fillna(0.0).cumsum()


def metric_timeline(analysis: ExperimentAnalysis, metric: str) -> pd.DataFrame:
    """Columns minute, version, value, low, high: the cumulative metric per arm with its
    two-sided ``1 - alpha`` normal interval; empty where the metric has no data."""
    from keel.experiments._analysis import METRICS

    kind, need = METRICS[metric]
    cum = _cumulative(analysis.counts)
    z = float(stats.norm.isf(analysis.alpha / 2))
    parts = []
    for arm in analysis.arms:
        cols = [
            cum[(arm, c)] if (arm, c) in cum.columns else pd.Series(0.0, cum.index) for c in need
        ]
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "proportion":
                n = cols[1].to_numpy()
                value = cols[0].to_numpy() / n
                se = np.sqrt(value * (1 - value) / n)
            else:
                n, total, sumsq = (c.to_numpy() for c in cols)
                value = total / n
                se = np.sqrt(np.maximum(sumsq - total * value, 0) / (n - 1) / n)
        keep = n > 0
        parts.append(pd.DataFrame({
            "minute": cum.index[keep], "version": arm, "value": value[keep],
            "low": (value - z * se)[keep], "high": (value + z * se)[keep],
        }))  # fmt: skip
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def allocation_timeline(analysis: ExperimentAnalysis) -> pd.DataFrame:
    """Rows per minute, a column per arm: the share of that minute's requests."""
    requests = analysis.counts[analysis.counts["counter"] == "requests"]
    wide = requests.pivot_table(index="minute", columns="version", values="value", aggfunc="sum")
    wide = wide.reindex(columns=list(analysis.arms)).fillna(0.0)
    total = wide.sum(axis=1).replace(0.0, np.nan)
    return wide.div(total, axis=0).fillna(0.0)


def _times(minutes: Any) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(minutes, dtype="int64") * 60, unit="s", utc=True)


def _svg(fig: Any) -> str:
    from matplotlib import dates

    for ax in fig.axes:
        locator = dates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
        ax.set_xlabel("time (UTC)")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _plots(analysis: ExperimentAnalysis) -> list[tuple[str, str]]:
    # A bare Figure, not pyplot: no global state, no GUI backend, safe in a server thread.
    from matplotlib.figure import Figure

    plots: list[tuple[str, str]] = []
    present = {m.metric for m in analysis.metrics}
    for metric in [m for m in ("error_rate", "reward", "accuracy") if m in present]:
        line = metric_timeline(analysis, metric)
        fig = Figure(figsize=(7, 3))
        ax = fig.add_subplot()
        for arm, part in line.groupby("version"):
            when = _times(part["minute"])
            ax.plot(when, part["value"], label=f"version {arm}")
            ax.fill_between(when, part["low"], part["high"], alpha=0.2)
        ax.set_ylabel(metric)
        ax.legend(loc="best")
        plots.append((f"{metric} (cumulative, {1 - analysis.alpha:.0%} interval)", _svg(fig)))
    shares = allocation_timeline(analysis)
    if not shares.empty:
        fig = Figure(figsize=(7, 2.5))
        ax = fig.add_subplot()
        when = _times(shares.index)
        ax.stackplot(when, shares.T.to_numpy(), labels=[f"version {a}" for a in shares.columns])
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of requests")
        ax.legend(loc="upper left")
        plots.append(("Allocation per minute", _svg(fig)))
    return plots


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No metric has data in two arms yet.</p>"
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}.invalid{color:#b00}"
)


def write_html(analysis: ExperimentAnalysis, path: Path, *, title: str) -> Path:
    """Write the report of ``analysis`` to ``path`` and return it."""
    summary = analysis.summary()
    verdict = html.escape(summary["verdict"])
    arms = [{"version": a, "requests": summary["requests"][str(a)],
             "share": summary["allocation"][str(a)]} for a in analysis.arms]  # fmt: skip
    srm = summary["srm"]
    srm_text = "not checked (no planned split)" if srm is None else (
        f"{srm['verdict']}: chi-square {srm['statistic']:.4g}, p = {srm['p_value']:.4g} "
        f"(alpha {srm['alpha']})"
    )  # fmt: skip
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p class='{verdict.replace(' ', '-')}'>Verdict: <b>{verdict}</b> (alpha {analysis.alpha},"
        f" control: version {analysis.control})</p>",
        f"<h2>Arms</h2>{_table(arms)}<p>Sample ratio: {html.escape(srm_text)}</p>",
        f"<h2>Metrics against the control</h2>{_table(summary['metrics'])}",
    ]
    parts += [f"<h2>{html.escape(name)}</h2>{svg}" for name, svg in _plots(analysis)]
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path

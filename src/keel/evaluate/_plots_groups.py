"""Per-group views: fairness metrics by sensitive group and error slices with their
confidence intervals (both SVG).

Example:
    >>> import pandas as pd
    >>> groups = pd.DataFrame(
    ...     {"group": ["a", "b"], "selection_rate": [0.4, 0.1], "flag": [False, True]}
    ... )
    >>> fairness_plot(groups).title
    'Fairness by group'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from keel.evaluate._plots import Plot, render, require, shorten

__all__ = ["fairness_plot", "slices_plot"]

# Columns of a fairness table that describe a group rather than measure it.
_NOT_METRICS = frozenset({"group", "flag", "n", "count", "size"})
_SLICE_KEYS = ("description", "error", "overall_error", "ci_low", "ci_high", "size")


def fairness_plot(groups: pd.DataFrame, metrics: Sequence[str] | None = None) -> Plot:
    """One panel per metric, a bar per group; flagged groups are hatched and labelled.

    Args:
        groups: one row per group, with columns ``group``, ``flag`` (True or a non-empty
            reason flags the group; False, "" and missing do not) and the metrics
            (e.g. selection_rate, tpr, fpr); an ``n`` column is shown in the labels.
        metrics: the columns to draw; every numeric column but group, flag, n, count and
            size when None.
    """
    require(
        isinstance(groups, pd.DataFrame) and {"group", "flag"} <= set(groups.columns),
        "The fairness table must be a DataFrame with columns 'group' and 'flag'; got "
        f"{_columns(groups)}.",
        "groups",
    )
    chosen = list(metrics) if metrics is not None else _metric_columns(groups)
    require(
        bool(chosen),
        "The fairness table has no metric column to plot (a numeric column besides group, "
        f"flag, n, count and size); columns: {_columns(groups)}.",
        "metrics",
    )
    missing = [m for m in chosen if m not in groups.columns]
    require(
        not missing,
        f"The fairness metrics {missing} are not columns of the fairness table (columns: "
        f"{_columns(groups)}).",
        "metrics",
    )
    labels = [_group_label(row) for row in groups.to_dict("records")]
    flags = np.array([_flagged(flag) for flag in groups["flag"]], dtype=bool)

    def draw(figure: Figure) -> None:
        panels = figure.subplots(1, len(chosen), sharey=True, squeeze=False)[0]
        for axes, metric in zip(panels, chosen, strict=True):
            values = pd.to_numeric(groups[metric], errors="coerce").to_numpy(dtype=np.float64)
            _flagged_bars(axes, values, flags)
            axes.set(title=shorten(metric, 30))
        panels[0].set_yticks(range(len(labels)), labels)
        panels[0].invert_yaxis()

    size = (min(14.0, 2.0 + 3.2 * len(chosen)), 1.2 + 0.35 * len(labels))
    return render("Fairness by group", draw, size=size)


def slices_plot(slices: Sequence[Mapping[str, Any]]) -> Plot:
    """Error per data slice as horizontal bars with confidence intervals, and a line at the
    overall error; slices are drawn in the order given, first on top.

    Args:
        slices: one dict per slice with description, error, overall_error, ci_low, ci_high
            and size (rows in the slice); ci_low and ci_high may be None.

    Example:
        >>> piece = {"description": "age < 25", "error": 0.31, "overall_error": 0.2,
        ...          "ci_low": 0.25, "ci_high": 0.37, "size": 120}
        >>> slices_plot([piece]).title
        'Error by slice'
    """
    rows = list(slices)
    require(bool(rows), "There are no slices to plot.", "slices")
    missing = sorted({k for row in rows for k in _SLICE_KEYS if k not in row})
    require(
        not missing,
        f"Each slice needs the keys {', '.join(_SLICE_KEYS)}; missing {missing}.",
        "slices",
    )
    error = np.array([_number(row["error"]) for row in rows])
    low = np.array([_number(row["ci_low"]) for row in rows])
    high = np.array([_number(row["ci_high"]) for row in rows])
    # A missing bound draws no whisker on that side.
    whiskers = np.nan_to_num(np.vstack([error - low, high - error]), nan=0.0).clip(min=0.0)
    labels = [f"{shorten(row['description'], 56)}{_count(row['size'])}" for row in rows]
    overall = _number(rows[0]["overall_error"])

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.barh(range(len(rows)), error, xerr=whiskers, color="tab:orange", capsize=2)
        if np.isfinite(overall):
            axes.axvline(overall, color="black", linestyle="--", linewidth=1, label="overall")
            axes.legend(loc="lower right")
        axes.set_yticks(range(len(rows)), labels)
        axes.invert_yaxis()
        axes.set(xlabel="Error")

    return render("Error by slice", draw, size=(8.0, 1.2 + 0.35 * len(rows)))


def _flagged_bars(axes: Axes, values: np.ndarray, flags: np.ndarray) -> None:
    bars = axes.barh(range(values.size), np.nan_to_num(values), color="tab:blue")
    for bar, flagged, value in zip(bars, flags, values, strict=True):
        if flagged:
            bar.set(hatch="///", facecolor="tab:red", edgecolor="white")
            axes.annotate(
                "flagged",
                (np.nan_to_num(value), bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )


def _flagged(flag: Any) -> bool:
    return False if flag is None or (pd.api.types.is_scalar(flag) and pd.isna(flag)) else bool(flag)


def _metric_columns(groups: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in groups.columns
        if c not in _NOT_METRICS
        and pd.api.types.is_numeric_dtype(groups[c])
        and not pd.api.types.is_bool_dtype(groups[c])
    ]


def _group_label(row: Mapping[str, Any]) -> str:
    return shorten(row["group"], 32) + _count(row.get("n"))


def _count(n: Any) -> str:
    return "" if n is None or pd.isna(n) else f" (n={int(n)})"


def _columns(groups: Any) -> str:
    return ", ".join(map(str, getattr(groups, "columns", []))) or "no columns"


def _number(value: Any) -> float:
    return np.nan if value is None else float(value)

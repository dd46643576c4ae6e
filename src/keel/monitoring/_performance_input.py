"""The inputs of performance over time: predictions joined to late labels, windows by
time or count, the model's output columns and its classes.

Example:
    >>> window_span("15min"), window_span(10_000)
    (Timedelta('0 days 00:15:00'), 10000)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import MonitoringError

__all__ = ["classes_of", "join_feedback", "output_of", "window_span", "windows"]

_UNITS = {"s": 1, "min": 60, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_WINDOW = re.compile(r"^\s*(\d+)\s*(s|min|m|h|d|w)\s*$")


def join_feedback(
    predictions: pd.DataFrame, feedback: pd.DataFrame, *, id_column: str = "request_id"
) -> pd.DataFrame:
    """The predictions with a ``label`` column from the feedback (missing where none came).

    Joined on ``id_column``, and on ``row`` when both frames have it; a request labelled
    more than once keeps its latest label (by the feedback's ``at``, else its order).
    """
    for side, frame in (("predictions", predictions), ("feedback", feedback)):
        if id_column not in frame.columns:
            raise MonitoringError(
                f"The {side} have no {id_column!r} column to join on; they have "
                f"{[str(c) for c in frame.columns][:12]}.",
                field=id_column,
            )
    if "label" not in feedback.columns:
        raise MonitoringError("The feedback has no 'label' column.", field="label")
    keys = [id_column, *(["row"] if "row" in feedback.columns and "row" in predictions else [])]
    labels = feedback.dropna(subset=["label"])
    if "at" in labels.columns:
        labels = labels.sort_values("at", kind="stable")
    labels = labels.drop_duplicates(subset=keys, keep="last")[[*keys, "label"]]
    base = predictions.drop(columns=["label"], errors="ignore")
    return base.merge(labels, on=keys, how="left", validate="many_to_one")


def window_span(window: Any) -> int | pd.Timedelta:
    if isinstance(window, int | np.integer) and not isinstance(window, bool) and window >= 1:
        return int(window)
    match = _WINDOW.match(window) if isinstance(window, str) else None
    if match is None or int(match.group(1)) < 1:
        raise MonitoringError(
            "The 'window' setting of monitor must be a duration such as '15min', '1h' or "
            f"'1d', or a count of predictions >= 1. Got {window!r} instead.",
            field="window",
        )
    return pd.Timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def windows(
    times: pd.Series, window: str | int
) -> list[tuple[pd.Timestamp, pd.Timestamp, np.ndarray]]:
    """(start, end, row positions) per window; time windows align to the Unix epoch."""
    span = window_span(window)
    out = []
    if isinstance(span, int):
        for first in range(0, len(times), span):
            rows = np.arange(first, min(first + span, len(times)))
            out.append((times.iloc[rows[0]], times.iloc[rows[-1]], rows))
        return out
    epoch = pd.Timestamp(0, tz="UTC")
    starts = epoch + ((times - epoch) // span) * span
    for start, rows in starts.groupby(starts, sort=True).indices.items():
        out.append((pd.Timestamp(start), pd.Timestamp(start) + span, np.asarray(rows)))
    return out


def output_of(joined: pd.DataFrame, task: str) -> np.ndarray:
    numbered = sorted(
        (c for c in joined.columns if re.fullmatch(r"output_\d+", str(c))),
        key=lambda c: int(str(c).split("_")[1]),
    )
    if task != "regression" and numbered:
        return joined[numbered].to_numpy(dtype=np.float64)
    if "output" not in joined.columns:
        raise MonitoringError(
            "The predictions have no 'output' (or 'output_0', ...) column with the model's output.",
            field="output",
        )
    return joined["output"].to_numpy(dtype=np.float64)


def classes_of(labels: pd.Series, classes: Any, task: str, output: np.ndarray) -> list[str]:
    if task == "regression":
        return []
    if classes is not None:
        return [str(c) for c in classes]
    seen = sorted({str(v) for v in labels.dropna()}, key=_natural)
    needed = 2 if output.ndim == 1 else output.shape[1]
    if len(seen) != needed:
        raise MonitoringError(
            f"The labels hold {len(seen)} distinct value(s) ({seen[:10]}) but the model has "
            f"{needed} classes; pass classes=[...] in the model's probability-column order.",
            field="classes",
        )
    return seen


def _natural(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)

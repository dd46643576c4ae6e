"""Realised performance over time when labels arrive late.

Predictions (as the prediction log stores them: ``request_id``, ``row``, ``at``, the
inputs, ``output`` or ``output_0``...) are joined to feedback (``request_id``, ``at``,
``label`` as text) by request id, and by ``row`` too when the feedback has that column;
when a request got several labels the latest counts. Predictions are then cut into
windows by their own time (``"1h"``, ``"30min"``, ``"1d"``) or into consecutive blocks of
a count of predictions, and each window's labelled rows are scored with
keel.evaluate.metrics_with_intervals (seeded bootstrap percentile intervals). A window
with fewer than ``min_labels`` labels gets no metrics, and a note says why; a window whose
labels hold one class only gets NaN ROC AUC, and a note.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> at = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(4_000) * 1.8, unit="s")
    >>> p = rng.uniform(size=4_000)
    >>> predictions = pd.DataFrame({"request_id": [f"r{i}" for i in range(4_000)], "at": at,
    ...                             "output": p})
    >>> labels = (rng.uniform(size=4_000) < p).astype(int).astype(str)
    >>> feedback = pd.DataFrame({"request_id": predictions["request_id"], "label": labels})
    >>> found = performance_over_time(predictions, feedback, task="binary", window="1h",
    ...                               classes=["0", "1"], n_resamples=100)
    >>> [w.labelled for w in found.windows], round(found.windows[0].metrics["roc_auc"].value, 2)
    ([2000, 2000], 0.84)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel.errors import MonitoringError
from keel.monitoring._performance_input import (
    classes_of,
    join_feedback,
    output_of,
    window_span,
    windows,
)

if TYPE_CHECKING:
    from keel.evaluate import MetricTable

__all__ = ["PerformanceOverTime", "WindowPerformance", "join_feedback", "performance_over_time"]

_DEFAULT_METRICS = {
    "binary": ("roc_auc", "accuracy", "f1"),
    "multiclass": ("accuracy", "roc_auc", "f1_macro"),
    "regression": ("rmse", "mae", "r2"),
}


@dataclass(frozen=True)
class WindowPerformance:
    """One window: its span, its predictions, how many got labels, and their metrics.

    Attributes:
        start, end: the window's span (time windows: [start, end); count windows: the
            first and last prediction's time).
        rows: predictions in the window.
        labelled: predictions with a label.
        metrics: metrics with intervals on the labelled rows; None below ``min_labels``.
        note: why a metric is missing or undefined, when one is.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    rows: int
    labelled: int
    metrics: MetricTable | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rows": self.rows,
            "labelled": self.labelled,
            "metrics": None if self.metrics is None else self.metrics.to_dict()["metrics"],
            "note": self.note,
        }


@dataclass(frozen=True)
class PerformanceOverTime:
    """Metrics per window, oldest window first."""

    task: str
    window: str | int
    metric_names: tuple[str, ...]
    windows: tuple[WindowPerformance, ...]

    def metrics(self) -> dict[str, float]:
        """Flat metrics of the latest window with metrics, e.g. ``performance.roc_auc``."""
        flat: dict[str, float] = {}
        if self.windows:
            flat["performance.labelled"] = float(self.windows[-1].labelled)
        scored = [w for w in self.windows if w.metrics is not None]
        if scored:
            for interval in scored[-1].metrics.intervals:  # type: ignore[union-attr]
                flat[f"performance.{interval.name}"] = interval.value
        return flat

    def to_frame(self) -> pd.DataFrame:
        """One row per window and metric: start, end, rows, labelled, metric, value, low, high."""
        records = []
        for w in self.windows:
            for i in () if w.metrics is None else w.metrics.intervals:
                records.append((w.start, w.end, w.rows, w.labelled, i.name, i.value, i.low, i.high))
        names = ["start", "end", "rows", "labelled", "metric", "value", "low", "high"]
        return pd.DataFrame.from_records(records, columns=names)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "window": self.window,
            "metrics": list(self.metric_names),
            "windows": [w.to_dict() for w in self.windows],
        }


def performance_over_time(
    predictions: pd.DataFrame,
    feedback: pd.DataFrame | None = None,
    *,
    task: str,
    window: str | int = "1h",
    classes: Sequence[Any] | None = None,
    metrics: Sequence[str] | None = None,
    time_column: str = "at",
    min_labels: int = 30,
    n_resamples: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> PerformanceOverTime:
    """Realised metrics per window of predictions, on the rows whose labels have arrived.

    Args:
        predictions: logged predictions; with a ``label`` column already when ``feedback``
            is None.
        feedback: labels by request id (see :func:`join_feedback`).
        task: "binary", "multiclass" or "regression".
        window: a duration ("15min", "1h", "1d") or a count of predictions (e.g. 10000).
        classes: the model's classes in probability-column order, matched to the labels'
            text; the labels' sorted distinct values when None.
        metrics: keel.evaluate metric names; roc_auc, accuracy, f1 (binary), accuracy,
            roc_auc, f1_macro (multiclass) or rmse, mae, r2 (regression) when None.
        min_labels: windows with fewer labelled rows get no metrics.
        n_resamples, confidence, seed: the bootstrap intervals.

    Raises:
        MonitoringError: no predictions, a bad window, missing columns, unknown labels.
    """
    from keel.evaluate import metric_names

    joined = predictions if feedback is None else join_feedback(predictions, feedback)
    _check_input(joined, time_column, window, task)
    names = tuple(metrics or _DEFAULT_METRICS[task])
    unknown = [n for n in names if n not in metric_names(task)]
    if unknown:
        raise MonitoringError(
            f"Unknown {task} metric(s) {unknown}; choose from {metric_names(task)}.",
            field="metrics",
        )
    joined = joined.sort_values(time_column, kind="stable").reset_index(drop=True)
    output = output_of(joined, task)
    labels = joined["label"]
    known = classes_of(labels, classes, task, output)
    times = pd.to_datetime(joined[time_column], utc=True)
    found = []
    for start, end, rows in windows(times, window):
        settings = (task, known, names, min_labels, n_resamples, confidence, seed)
        found.append(_score(start, end, labels.iloc[rows], output[rows], settings))
    return PerformanceOverTime(task, window, names, tuple(found))


def _check_input(joined: pd.DataFrame, time_column: str, window: Any, task: str) -> None:
    if task not in _DEFAULT_METRICS:
        raise MonitoringError(
            f"The task must be one of {', '.join(_DEFAULT_METRICS)}. Got {task!r} instead.",
            field="task",
        )
    if len(joined) == 0:
        raise MonitoringError(
            "There are no predictions to score: the window is empty.", field="predictions"
        )
    for column in (time_column, "label"):
        if column not in joined.columns:
            raise MonitoringError(
                f"The predictions have no {column!r} column; they have "
                f"{[str(c) for c in joined.columns][:12]}.",
                field=column,
            )
    window_span(window)


def _score(
    start: pd.Timestamp, end: pd.Timestamp, labels: pd.Series, output: np.ndarray, settings: tuple
) -> WindowPerformance:
    from keel.evaluate import metrics_with_intervals

    task, classes, names, min_labels, n_resamples, confidence, seed = settings
    present = labels.notna().to_numpy()
    n_labelled = int(present.sum())
    if n_labelled < min_labels:
        note = f"{n_labelled} labelled row(s), below min_labels={min_labels}: no metrics yet."
        return WindowPerformance(start, end, labels.size, n_labelled, None, note)
    found = _outcomes(labels[present].astype(str).to_numpy(), output[present], task, classes)
    table = metrics_with_intervals(
        found, list(names), n_resamples=n_resamples, confidence=confidence, seed=seed
    )
    return WindowPerformance(start, end, labels.size, n_labelled, table, _note(found, table))


def _outcomes(truth: np.ndarray, output: np.ndarray, task: str, classes: list[str]) -> Any:
    from keel.errors import EvaluationError
    from keel.evaluate import outcomes

    try:
        if task == "regression":
            return outcomes(truth.astype(np.float64), output, task="regression")
        return outcomes(truth, output, task=task, classes=np.array(classes, dtype=object))
    except (EvaluationError, ValueError) as exc:
        # A monitor run reports unusable labels as its own error, with the same message.
        raise MonitoringError(
            f"The window's labels cannot be scored: {exc}", field="label"
        ) from None


def _note(found: Any, table: MetricTable) -> str:
    undefined = [i.name for i in table.intervals if math.isnan(i.value)]
    if not undefined:
        return ""
    if found.is_classification and np.unique(found.y).size < 2:
        return f"The labels hold one class only: {', '.join(undefined)} undefined."
    return f"{', '.join(undefined)} undefined on this window."

"""Metrics of a model's outcomes, with seeded bootstrap percentile intervals.

Point values equal scikit-learn's (tested to 1e-9). Intervals come from resampling the
rows with replacement; a resample where a metric is undefined (one class only, for ROC
AUC) is left out of that metric's interval and counted in ``undefined_resamples``.

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> o = outcomes([0, 1, 1, 0, 1], np.array([0.2, 0.7, 0.4, 0.6, 0.9]), task="binary")
    >>> compute_metrics(o, ["accuracy", "roc_auc"])
    {'accuracy': 0.6, 'roc_auc': 0.8333333333333334}
    >>> table = metrics_with_intervals(o, ["accuracy"], n_resamples=200, seed=0)
    >>> table["accuracy"].value, table["accuracy"].low <= 0.6 <= table["accuracy"].high
    (0.6, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from keel.errors import EvaluationError
from keel.evaluate._bootstrap import (
    check_confidence,
    check_resamples,
    percentile_interval,
    resample_scores,
)
from keel.evaluate._metrics_weighted import GREATER_IS_BETTER, TASK_METRICS, scorer
from keel.evaluate._outcomes import Outcomes

__all__ = [
    "MetricInterval",
    "MetricTable",
    "compute_metrics",
    "metric_names",
    "metrics_with_intervals",
]


@dataclass(frozen=True)
class MetricInterval:
    """One metric's value on all rows and its bootstrap percentile interval.

    Attributes:
        name: the metric, e.g. "roc_auc".
        value: the metric on all rows (NaN when undefined there).
        low, high: the interval's ends (NaN when every resample was undefined).
        greater_is_better: False for losses and errors (log_loss, rmse, ...).
        undefined_resamples: resamples left out because the metric was undefined on them.
    """

    name: str
    value: float
    low: float
    high: float
    greater_is_better: bool
    undefined_resamples: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values; NaN becomes None."""
        return {key: json_value(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class MetricTable:
    """Metrics with intervals, in the order asked for.

    Example:
        >>> from keel.evaluate._outcomes import outcomes
        >>> o = outcomes([1.0, 2.0, 3.0, 4.0], np.array([1.1, 1.9, 3.2, 3.8]))
        >>> table = metrics_with_intervals(o, ["mae"], n_resamples=50)
        >>> round(table["mae"].value, 3), table.names
        (0.15, ['mae'])
    """

    task: str
    n: int
    intervals: tuple[MetricInterval, ...]
    confidence: float
    n_resamples: int
    seed: int

    @property
    def names(self) -> list[str]:
        return [interval.name for interval in self.intervals]

    def __getitem__(self, name: str) -> MetricInterval:
        for interval in self.intervals:
            if interval.name == name:
                return interval
        raise KeyError(f"No metric {name!r} in this table; it holds {', '.join(self.names)}.")

    def to_dict(self) -> dict[str, Any]:
        """Settings and one entry per metric, as plain JSON-able values."""
        settings = {key: getattr(self, key) for key in ("task", "n", "confidence")}
        return {
            **settings,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "metrics": {i.name: i.to_dict() for i in self.intervals},
        }

    def to_text(self) -> str:
        """An aligned table for a terminal."""
        width = max(len(name) for name in self.names)
        head = (
            f"{self.task} metrics on {self.n:,} rows; {self.confidence:.0%} bootstrap "
            f"percentile intervals from {self.n_resamples:,} resamples (seed {self.seed})"
        )
        return "\n".join([head, *(_line(i, width) for i in self.intervals)])


def metric_names(task: str) -> list[str]:
    """The metrics defined for ``task`` ("binary", "multiclass" or "regression").

    Example:
        >>> metric_names("regression")[:3]
        ['rmse', 'mae', 'mape']
    """
    if task not in TASK_METRICS:
        raise EvaluationError(
            f"The task must be one of {', '.join(TASK_METRICS)}. Got {task!r} instead.",
            field="task",
        )
    return list(TASK_METRICS[task])


def compute_metrics(o: Outcomes, names: Sequence[str] | None = None) -> dict[str, float]:
    """Each metric on all rows (NaN where undefined, e.g. ROC AUC with one class present).

    Args:
        o: labels and model output on the same rows.
        names: metrics to compute; every metric of ``o.task`` when None.

    Raises:
        EvaluationError: a name is unknown or not defined for the task.
    """
    chosen = check_metric_names(o.task, names)
    values = scorer(o, chosen)(np.ones((1, o.n)))
    return {name: float(values[name][0]) for name in chosen}


def metrics_with_intervals(
    o: Outcomes,
    names: Sequence[str] | None = None,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> MetricTable:
    """Each metric on all rows, with a seeded bootstrap percentile interval.

    Raises:
        EvaluationError: an unknown metric, n_resamples below 1, confidence not in (0, 1).
    """
    chosen = check_metric_names(o.task, names)
    check_resamples(n_resamples)
    check_confidence(confidence)
    score = scorer(o, chosen)
    point = score(np.ones((1, o.n)))
    resampled = resample_scores([score], o.n, n_resamples, seed)[0]
    intervals = tuple(
        _interval(name, float(point[name][0]), resampled[name], confidence) for name in chosen
    )
    return MetricTable(o.task, o.n, intervals, confidence, n_resamples, seed)


def _interval(name: str, value: float, resampled: np.ndarray, confidence: float) -> MetricInterval:
    low, high, undefined = percentile_interval(resampled, confidence)
    return MetricInterval(name, value, low, high, GREATER_IS_BETTER[name], undefined)


def check_metric_names(task: str, names: Sequence[str] | str | None) -> list[str]:
    """The metrics to compute, in order and without repeats; raise on a bad name."""
    valid = metric_names(task)
    if names is None:
        return valid
    chosen = list(dict.fromkeys([names] if isinstance(names, str) else names))
    for name in chosen:
        if name not in valid:
            raise EvaluationError(_unknown_metric(name, task, valid), field="metrics")
    return chosen


def _unknown_metric(name: Any, task: str, valid: list[str]) -> str:
    owners = [t for t, names in TASK_METRICS.items() if name in names]
    if owners:
        why = f"is defined for {' and '.join(owners)} tasks, not {task} ones"
    else:
        why = "is not a metric keel knows"
    return f"The metric {name!r} {why}. Metrics for {task} tasks: {', '.join(valid)}."


def json_value(value: Any) -> Any:
    """``value`` as plain JSON: NaN and infinities become None, numpy scalars Python ones."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _line(interval: MetricInterval, width: int) -> str:
    text = f"  {interval.name:<{width}}  {_number(interval.value)}"
    text += f"  [{_number(interval.low)}, {_number(interval.high)}]"
    if not interval.greater_is_better:
        text += "  lower is better"
    if interval.undefined_resamples:
        text += f"  ({interval.undefined_resamples} resamples undefined)"
    return text


def _number(value: float) -> str:
    if math.isnan(value):
        return "undefined"
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:,.1f}"

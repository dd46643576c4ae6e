"""Per-group metric tables, computed with fairlearn's ``MetricFrame``, and why a group is flagged.

A rate is NaN, not 0, where a group lacks what it needs (fairlearn returns 0.0 for the true
positive rate of a group with no positives, which would read as a real, terrible rate).

Example:
    >>> import numpy as np, pandas as pd
    >>> from keel.evaluate._outcomes import outcomes
    >>> scored = outcomes([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.6], task="binary")
    >>> table = group_table(scored, pd.Series(["a", "a", "b", "b"], name="g"), threshold=0.5)
    >>> table["selection_rate"].tolist(), table["true_positive_rate"].tolist()
    ([0.5, 0.5], [1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_positive_rate,
    mean_prediction,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    precision_score,
    roc_auc_score,
    root_mean_squared_error,
)

from keel.evaluate._fairness_input import MISSING
from keel.evaluate._outcomes import Outcomes

__all__ = ["decisions", "flag_reasons", "group_table", "problems"]

Metric = Callable[[np.ndarray, np.ndarray], float]


def decisions(o: Outcomes, threshold: float) -> np.ndarray:
    """Binary: 1 where the positive-class probability is >= threshold; else arg-max/values."""
    if o.task == "binary":
        return (o.positive_scores >= threshold).astype(np.int64)
    return o.predicted


def group_table(o: Outcomes, features: pd.Series | pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One row per group (index: group label) with count, share and the task's metrics."""
    predicted = decisions(o, threshold)
    frame = MetricFrame(
        metrics=_metrics(o), y_true=o.y, y_pred=predicted, sensitive_features=features
    ).by_group
    if o.task == "binary":
        auc = MetricFrame(
            metrics=_roc_auc, y_true=o.y, y_pred=o.positive_scores, sensitive_features=features
        ).by_group
        frame["roc_auc"] = auc.to_numpy()
    frame.insert(1, "share", frame["count"] / o.n)
    frame.index = _labels(frame.index)
    counts = [name for name in ("count", "positives") if name in frame.columns]
    return frame.astype(dict.fromkeys(counts, np.int64))


def flag_reasons(table: pd.DataFrame, task: str, min_group_size: int) -> pd.Series:
    """Why each group is hard to judge ("" when it is not), in words."""
    needs = ("positives", "negatives") if task == "binary" else ()
    flags = []
    for label, row in table.iterrows():
        reasons = problems(row, min_group_size, needs)
        if f"={MISSING}" in str(label):
            reasons.append("sensitive value missing")
        flags.append("; ".join(reasons))
    return pd.Series(flags, index=table.index, dtype=object)


def problems(row: pd.Series, min_group_size: int, needs: tuple[str, ...]) -> list[str]:
    """What keeps a group out of a summary that needs ``needs`` ("positives", "negatives")."""
    reasons = []
    if row["count"] < min_group_size:
        reasons.append(f"{int(row['count'])} rows < min_group_size {min_group_size}")
    if "positives" in needs and row["positives"] == 0:
        reasons.append("no positive labels (true_positive_rate undefined)")
    if "negatives" in needs and row["positives"] == row["count"]:
        reasons.append("no negative labels (false_positive_rate undefined)")
    return reasons


def _metrics(o: Outcomes) -> dict[str, Metric]:
    if o.task == "binary":
        return {
            "count": count,
            "positives": _positives,
            "selection_rate": selection_rate,
            "accuracy": accuracy_score,
            "true_positive_rate": _needs(1, true_positive_rate),
            "false_positive_rate": _needs(0, false_positive_rate),
            "precision": partial(precision_score, zero_division=np.nan),
        }
    if o.task == "multiclass":
        rates = {
            f"selection_rate[{label}]": partial(_class_rate, code=code)
            for code, label in enumerate(o.classes.tolist())
        }
        return {"count": count, "accuracy": accuracy_score} | rates
    return {
        "count": count,
        "mae": mean_absolute_error,
        "rmse": root_mean_squared_error,
        "mean_prediction": mean_prediction,
        "mean_target": _mean_target,
    }


def _needs(label: int, metric: Metric) -> Metric:
    def rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        if not (y_true == label).any():
            return float("nan")
        return float(metric(y_true, y_pred, pos_label=1))  # type: ignore[call-arg]

    return rate


def _positives(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sum(y_true == 1))


def _class_rate(y_true: np.ndarray, y_pred: np.ndarray, *, code: int) -> float:
    return float(np.mean(y_pred == code))


def _mean_target(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true))


def _roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    if np.unique(y_true).size < 2:
        return float("nan")
    return float(roc_auc_score(y_true, y_score))


def _labels(index: pd.Index) -> pd.Index:
    names = [str(name) for name in index.names]
    keys = index.tolist() if isinstance(index, pd.MultiIndex) else [(key,) for key in index]
    return pd.Index(
        [" & ".join(f"{n}={v}" for n, v in zip(names, key, strict=True)) for key in keys],
        name="group",
    )

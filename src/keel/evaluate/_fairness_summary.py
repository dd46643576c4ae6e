"""One scope's summary disparities, computed over the groups that can be judged.

Binary tasks use fairlearn's own functions (demographic parity difference and ratio,
equalized odds difference, equal opportunity difference) on the rows of judgeable groups.
Multiclass demographic parity treats each class as one-vs-rest and keeps the worst class
(largest difference, smallest ratio); regression compares mean predictions and MAE. A
summary needs two judgeable groups; with fewer it is NaN and a note says why.

Example:
    >>> import numpy as np, pandas as pd
    >>> from keel.evaluate._outcomes import outcomes
    >>> from keel.evaluate._fairness_groups import group_table
    >>> scored = outcomes([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.6], task="binary")
    >>> frame = pd.DataFrame({"g": ["a", "a", "b", "b"]})
    >>> table = group_table(scored, frame["g"], 0.5)
    >>> summary = summarize(scored, frame, table, min_group_size=1, threshold=0.5)
    >>> summary.values["equal_opportunity_difference"]
    1.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    mean_prediction,
)
from sklearn.metrics import accuracy_score, mean_absolute_error

from keel.evaluate._fairness_groups import decisions, problems
from keel.evaluate._fairness_input import row_groups
from keel.evaluate._outcomes import Outcomes

__all__ = ["ScopeSummary", "summarize"]

Disparity = Callable[..., float]


@dataclass(frozen=True)
class ScopeSummary:
    """One scope's summaries.

    Attributes:
        values: metric -> number (NaN when fewer than two groups can be judged).
        excluded: metric -> {group: why it was left out}.
        notes: metric -> why it is NaN (only for NaN metrics).
    """

    values: dict[str, float]
    excluded: dict[str, dict[str, str]]
    notes: dict[str, str]


def summarize(
    o: Outcomes, features: pd.DataFrame, table: pd.DataFrame, min_group_size: int, threshold: float
) -> ScopeSummary:
    """Each summary metric of the task over the judgeable groups of one scope."""
    groups = row_groups(features, list(features.columns)).to_numpy()
    predicted = decisions(o, threshold)
    summary = ScopeSummary({}, {}, {})
    for name, (disparity, needs) in _disparities(o).items():
        excluded = _excluded(table, min_group_size, needs)
        judged = [label for label in table.index if label not in excluded]
        summary.excluded[name] = excluded
        summary.values[name] = float("nan")
        if len(judged) < 2:
            summary.notes[name] = _why_undefined(table, judged, excluded)
            continue
        keep = np.isin(groups, judged)
        sensitive = features.loc[keep].squeeze(axis=1)
        summary.values[name] = float(
            disparity(o.y[keep], predicted[keep], sensitive_features=sensitive)
        )
    return summary


def _disparities(o: Outcomes) -> dict[str, tuple[Disparity, tuple[str, ...]]]:
    if o.task == "binary":
        return {
            "demographic_parity_difference": (demographic_parity_difference, ()),
            "demographic_parity_ratio": (demographic_parity_ratio, ()),
            "equalized_odds_difference": (equalized_odds_difference, ("positives", "negatives")),
            "equal_opportunity_difference": (equal_opportunity_difference, ("positives",)),
        }
    if o.task == "multiclass":
        k = o.output.shape[1]
        return {
            "demographic_parity_difference": (
                _per_class(demographic_parity_difference, k, max),
                (),
            ),
            "demographic_parity_ratio": (_per_class(demographic_parity_ratio, k, min), ()),
            "accuracy_difference": (_gap(accuracy_score), ()),
        }
    return {
        "mean_prediction_difference": (_gap(mean_prediction), ()),
        "mae_difference": (_gap(mean_absolute_error), ()),
    }


def _per_class(disparity: Disparity, k: int, worst: Callable[[list[float]], float]) -> Disparity:
    def compute(y_true: np.ndarray, y_pred: np.ndarray, *, sensitive_features: Any) -> float:
        values = [
            disparity(
                y_true == c, (y_pred == c).astype(np.int64), sensitive_features=sensitive_features
            )
            for c in range(k)
        ]
        defined = [float(v) for v in values if not np.isnan(v)]
        return worst(defined) if defined else float("nan")

    return compute


def _gap(metric: Callable[..., float]) -> Disparity:
    def compute(y_true: np.ndarray, y_pred: np.ndarray, *, sensitive_features: Any) -> float:
        frame = MetricFrame(
            metrics=metric, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive_features
        )
        return float(frame.difference())

    return compute


def _excluded(table: pd.DataFrame, min_group_size: int, needs: tuple[str, ...]) -> dict[str, str]:
    reasons = {label: problems(row, min_group_size, needs) for label, row in table.iterrows()}
    return {str(label): "; ".join(why) for label, why in reasons.items() if why}


def _why_undefined(table: pd.DataFrame, judged: list[str], excluded: dict[str, str]) -> str:
    if not excluded:
        return f"only one group ({', '.join(map(str, table.index))}); nothing to compare"
    left_out = ", ".join(f"{label} ({why})" for label, why in excluded.items())
    return f"needs two judgeable groups, found {len(judged)}; left out: {left_out}"

"""What every paired test returns, the Holm correction across tests, and the same-rows check.

Sign convention, for every test and metric: ``effect`` is the improvement of model B over
model A, positive when B is better. For a metric where greater is better (accuracy,
ROC AUC, R2) that is ``b - a``; for a loss (log loss, RMSE) it is ``a - b``.

Example:
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from keel.errors import EvaluationError
from keel.evaluate._metrics import json_value
from keel.evaluate._outcomes import Outcomes

__all__ = ["TestResult", "check_same_rows", "holm"]


@dataclass(frozen=True)
class TestResult:
    """One paired comparison of model A and model B on one metric.

    Attributes:
        test: "mcnemar", "delong", "paired_bootstrap" or "5x2cv_t".
        metric: the metric compared, e.g. "roc_auc".
        estimate_a, estimate_b: the metric for each model.
        effect: improvement of B over A, positive when B is better (b - a for metrics
            where greater is better, a - b for losses).
        ci_low, ci_high: confidence interval of ``effect`` (NaN when the test has none).
        statistic: the test statistic (z, chi-square, binomial count or t; NaN if none).
        p_value: two-sided p-value of "no difference".
        p_adjusted: the p-value after Holm's correction across the tests run together
            (equal to ``p_value`` for a test run alone).
        n: the rows compared.
        note: how the test and interval were computed.

    Example:
        >>> result = TestResult("delong", "roc_auc", 0.8, 0.85, 0.05, 0.01, 0.09, 2.4, 0.016,
        ...                     0.016, 500, "DeLong")
        >>> result.to_dict()["effect"]
        0.05
    """

    __test__ = False  # not a pytest test class, despite its name

    test: str
    metric: str
    estimate_a: float
    estimate_b: float
    effect: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    p_adjusted: float
    n: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values; NaN becomes None."""
        return {key: json_value(value) for key, value in asdict(self).items()}


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni step-down adjusted p-values, in the order given.

    The i-th smallest p-value is multiplied by (m - i + 1), made non-decreasing in that
    order, and capped at 1; reject where the adjusted p-value is below alpha. Controls the
    family-wise error rate under any dependence between the tests.

    Raises:
        EvaluationError: a p-value is missing or outside [0, 1].
    """
    p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise EvaluationError(
            f"p-values must lie in [0, 1]; got {p.tolist()[:10]}.", field="p_values"
        )
    order = np.argsort(p, kind="stable")
    scaled = (p.size - np.arange(p.size)) * p[order]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted.tolist()


def check_same_rows(a: Outcomes, b: Outcomes) -> None:
    """Raise EvaluationError unless ``a`` and ``b`` score the same labelled rows in order."""
    if a.task != b.task:
        _differ(f"model A's outcomes are {a.task} but model B's are {b.task}")
    if a.n != b.n:
        _differ(f"model A was scored on {a.n} rows but model B on {b.n}")
    if not np.array_equal(a.classes, b.classes):
        _differ(
            f"model A's classes {a.classes.tolist()[:10]} differ from model B's "
            f"{b.classes.tolist()[:10]}"
        )
    mismatched = np.flatnonzero(a.y != b.y)
    if mismatched.size:
        _differ(f"the labels differ at {mismatched.size} rows (first at row {mismatched[0]})")


def _differ(problem: str) -> None:
    raise EvaluationError(
        "A paired comparison needs both models scored on the same rows in the same order; "
        f"these are different rows: {problem}. Score both models on one holdout frame.",
        field="outcomes",
    )

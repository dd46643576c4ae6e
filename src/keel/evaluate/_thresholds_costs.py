"""Costs for decision rules, checked and turned into a matrix ``[true class, predicted class]``.

Example:
    >>> from keel.evaluate._outcomes import outcomes
    >>> scored = outcomes([0, 1], [0.3, 0.6], task="binary")
    >>> cost_matrix(scored, {"false_positive": 1, "false_negative": 4}).tolist()
    [[0.0, 1.0], [4.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from keel.errors import EvaluationError
from keel.evaluate._outcomes import Outcomes

__all__ = ["cost_matrix"]

_COST_KEYS = {
    "true_negative": (0, 0),
    "false_positive": (0, 1),
    "false_negative": (1, 0),
    "true_positive": (1, 1),
}


def cost_matrix(o: Outcomes, costs: Any) -> np.ndarray:
    """The costs as a matrix [true class, predicted class], checked."""
    k = o.output.shape[1]
    matrix = _from_mapping(o, costs) if isinstance(costs, Mapping) else _as_matrix(costs)
    if matrix.shape != (k, k):
        raise EvaluationError(
            f"The cost matrix must be {k}x{k} (rows: true class, columns: predicted class, "
            f"in the order {o.classes.tolist()}). Got shape {matrix.shape} instead.",
            field="costs",
        )
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise EvaluationError(
            f"Costs must be finite and >= 0. Got {matrix.tolist()} instead.", field="costs"
        )
    return matrix


def _from_mapping(o: Outcomes, costs: Mapping[str, Any]) -> np.ndarray:
    if o.task != "binary":
        raise EvaluationError(
            "A multiclass task needs costs as a k x k matrix [true][predicted]; a mapping of "
            "false_positive / false_negative costs fits binary tasks only.",
            field="costs",
        )
    unknown = sorted(set(costs) - set(_COST_KEYS))
    missing = sorted({"false_positive", "false_negative"} - set(costs))
    if unknown or missing:
        raise EvaluationError(
            f"Binary costs take the keys {', '.join(_COST_KEYS)} and need false_positive and "
            f"false_negative. Got {sorted(costs)} instead.",
            field="costs",
        )
    matrix = np.zeros((2, 2))
    for key, value in costs.items():
        matrix[_COST_KEYS[key]] = _as_number(key, value)
    return matrix


def _as_matrix(costs: Any) -> np.ndarray:
    try:
        return np.asarray(costs, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(
            f"Costs must be a mapping or a numeric k x k matrix. Got {costs!r} instead.",
            field="costs",
        ) from None


def _as_number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise EvaluationError(
            f"The cost {key!r} must be a number >= 0. Got {value!r} instead.", field="costs"
        )
    return float(value)

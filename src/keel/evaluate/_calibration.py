"""How far predicted probabilities are from observed frequencies: reliability curves and ECE.

Binary tasks are judged on the positive class's probability against the positive label;
multiclass tasks on the top-label confidence (the largest probability) against whether the
arg-max class was right. Bins follow scikit-learn's ``calibration_curve``: a probability on
an inner edge falls in the lower bin, so bins are ``[0, e1], (e1, e2], ...``.

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> scored = outcomes([0, 1, 1, 0], np.array([0.1, 0.8, 0.7, 0.4]), task="binary")
    >>> expected_calibration_error(scored, n_bins=2)
    0.25
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.calibration import calibration_curve

from keel.errors import EvaluationError
from keel.evaluate._outcomes import Outcomes

__all__ = ["ReliabilityCurve", "expected_calibration_error", "reliability_curve"]

_STRATEGIES = ("uniform", "quantile")


@dataclass(frozen=True, eq=False)  # numpy fields: compare with to_dict()
class ReliabilityCurve:
    """Per non-empty bin: mean predicted probability, observed frequency and row count.

    Attributes:
        kind: "positive_class" (binary) or "top_label" (multiclass confidence vs correctness).
        strategy: "uniform" (equal-width bins) or "quantile" (equal-count bins).
        n_bins: bins asked for; empty bins are left out of the arrays.
        mean_predicted: mean probability in each bin, shape (n_nonempty_bins,).
        observed_frequency: share of positives (or of correct predictions) in each bin.
        count: rows in each bin.

    Example:
        >>> import numpy as np
        >>> from keel.evaluate._outcomes import outcomes
        >>> curve = reliability_curve(outcomes([0, 1, 1], [0.2, 0.9, 0.7], task="binary"), n_bins=2)
        >>> curve.count.tolist(), curve.observed_frequency.tolist()
        ([1, 2], [0.0, 1.0])
    """

    kind: str
    strategy: str
    n_bins: int
    mean_predicted: np.ndarray
    observed_frequency: np.ndarray
    count: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields."""
        return {
            "kind": self.kind,
            "strategy": self.strategy,
            "n_bins": self.n_bins,
            "mean_predicted": [float(v) for v in self.mean_predicted],
            "observed_frequency": [float(v) for v in self.observed_frequency],
            "count": [int(v) for v in self.count],
        }


def reliability_curve(
    o: Outcomes, *, n_bins: int = 10, strategy: str = "uniform"
) -> ReliabilityCurve:
    """Bin the probabilities and compare each bin's mean with what was observed.

    Args:
        o: classification outcomes.
        n_bins: number of bins, an integer >= 1.
        strategy: "uniform" (equal width on [0, 1]) or "quantile" (equal row counts).

    Raises:
        EvaluationError: a regression task, a bad ``n_bins`` or ``strategy``.
    """
    _check_bins(n_bins)
    if strategy not in _STRATEGIES:
        raise EvaluationError(
            f"The strategy must be one of {', '.join(_STRATEGIES)}. Got {strategy!r} instead.",
            field="strategy",
        )
    kind, hits, scores = _judged(o)
    observed, predicted = calibration_curve(hits, scores, n_bins=n_bins, strategy=strategy)
    counts = _counts(scores, n_bins, strategy)
    return ReliabilityCurve(kind, strategy, n_bins, predicted, observed, counts)


def expected_calibration_error(o: Outcomes, *, n_bins: int = 15) -> float:
    """Count-weighted mean of ``|observed frequency - mean probability|`` over uniform bins.

    Binary tasks use the positive class's probability (so a model that is well calibrated
    on positives and negatives alike scores 0); multiclass tasks use the top-label
    confidence against accuracy, the definition of Guo et al. (2017).

    Raises:
        EvaluationError: a regression task or a bad ``n_bins``.
    """
    curve = reliability_curve(o, n_bins=n_bins, strategy="uniform")
    gaps = np.abs(curve.observed_frequency - curve.mean_predicted)
    return float(np.sum(curve.count * gaps) / np.sum(curve.count))


def _judged(o: Outcomes) -> tuple[str, np.ndarray, np.ndarray]:
    """What is calibrated: (kind, 0/1 outcome per row, probability per row)."""
    if o.task == "binary":
        return "positive_class", (o.y == 1).astype(np.int64), np.clip(o.positive_scores, 0, 1)
    if o.task == "multiclass":
        hits = (o.predicted == o.y).astype(np.int64)
        return "top_label", hits, np.clip(o.output.max(axis=1), 0.0, 1.0)
    raise EvaluationError(
        "Calibration needs probabilities from a classification task; this task is regression.",
        field="task",
    )


def _counts(scores: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    # calibration_curve returns no counts; the plot needs them, so bin the way it does
    # (scikit-learn 1.9: percentile or linspace edges, searchsorted on the inner edges).
    if strategy == "quantile":
        edges = np.percentile(scores, np.linspace(0, 100, n_bins + 1))
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    totals = np.bincount(np.searchsorted(edges[1:-1], scores), minlength=n_bins)
    return totals[totals != 0]


def _check_bins(n_bins: int) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise EvaluationError(
            f"n_bins must be an integer >= 1. Got {n_bins!r} instead.", field="n_bins"
        )

"""DeLong's test of two correlated ROC AUCs, in O(n log n) (Sun and Xu's fast algorithm).

DeLong, DeLong and Clarke-Pearson (1988) estimate the covariance of AUCs measured on the
same rows from per-row "structural components"; Sun and Xu (2014) get those from three
midrank computations instead of comparing every positive with every negative. SciPy and
scikit-learn have no paired AUC test, hence this module.

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> a = outcomes(y, np.array([0.2, 0.4, 0.6, 0.3, 0.1, 0.9]), task="binary")
    >>> b = outcomes(y, np.array([0.2, 0.4, 0.6, 0.5, 0.1, 0.9]), task="binary")
    >>> result = delong(a, b)
    >>> round(result.estimate_a, 4), round(result.estimate_b, 4)
    (0.8889, 1.0)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from keel.errors import EvaluationError
from keel.evaluate._bootstrap import check_confidence
from keel.evaluate._outcomes import Outcomes
from keel.evaluate._paired_result import TestResult, check_same_rows

__all__ = ["delong", "delong_covariance"]


def delong(a: Outcomes, b: Outcomes, *, confidence: float = 0.95) -> TestResult:
    """Test whether model B's ROC AUC differs from model A's on the same binary rows.

    ``effect`` is AUC(B) - AUC(A); the interval is the Wald interval effect +- z * SE with
    DeLong's standard error, and ``statistic`` is the z value.

    Raises:
        EvaluationError: different rows, a task that is not binary, or fewer than two rows
            of either class.
    """
    check_same_rows(a, b)
    check_confidence(confidence)
    if a.task != "binary":
        raise EvaluationError(
            f"DeLong's test compares binary ROC AUCs; these are {a.task} outcomes. For a "
            "multiclass AUC use paired_bootstrap(a, b, 'roc_auc').",
            field="task",
        )
    scores = np.vstack([a.positive_scores, b.positive_scores])
    aucs, covariance = delong_covariance(scores, a.y == 1)
    effect = float(aucs[1] - aucs[0])
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    se = math.sqrt(max(float(variance), 0.0))
    z = _z(effect, se)
    margin = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    return TestResult(
        test="delong",
        metric="roc_auc",
        estimate_a=float(aucs[0]),
        estimate_b=float(aucs[1]),
        effect=effect,
        ci_low=effect - margin,
        ci_high=effect + margin,
        statistic=z,
        p_value=float(2 * stats.norm.sf(abs(z))),
        p_adjusted=float(2 * stats.norm.sf(abs(z))),
        n=a.n,
        note=f"DeLong test (fast algorithm, Sun & Xu 2014); SE {se:.4g}; {confidence:.0%} "
        "Wald interval of AUC B - A",
    )


def delong_covariance(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of several models on the same rows and DeLong's covariance matrix of them.

    Args:
        scores: array of shape (n_models, n_samples), higher meaning more likely positive.
        positive: bool array of shape (n_samples,).

    Returns:
        (aucs of shape (n_models,), covariance of shape (n_models, n_models)).
    """
    m, n = int(positive.sum()), int((~positive).sum())
    if min(m, n) < 2:
        raise EvaluationError(
            f"DeLong's test needs at least two rows of each class; got {m} positive and {n} "
            "negative rows.",
            field="y_true",
        )
    pos, neg = scores[:, positive], scores[:, ~positive]
    # Midranks among positives, among negatives and among all rows give, per row, how many
    # rows of the other class it outranks (ties count half): the structural components.
    pooled = stats.rankdata(np.hstack([pos, neg]), axis=1)
    v10 = (pooled[:, :m] - stats.rankdata(pos, axis=1)) / n
    v01 = 1.0 - (pooled[:, m:] - stats.rankdata(neg, axis=1)) / m
    aucs = v10.mean(axis=1)
    covariance = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return aucs, covariance


def _z(effect: float, se: float) -> float:
    if se > 0:
        return effect / se
    # No spread at all (identical scores, or both models perfect): any gap is certain.
    return 0.0 if effect == 0 else math.copysign(math.inf, effect)

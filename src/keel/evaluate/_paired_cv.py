"""Dietterich's (1998) 5x2cv paired t-test: do two training procedures differ?

The tests on one holdout compare two fitted models; this one compares the procedures
that fit them, by refitting both on five random halvings of the data. Dietterich showed
it keeps its nominal type I error where the resampled t-test and the 10-fold t-test do not.

Example:
    >>> differences = np.array([[0.02, 0.01], [0.03, 0.0], [0.01, 0.02], [0.02, 0.02], [0.0, 0.03]])
    >>> t, p = five_by_two_t(differences)
    >>> round(t, 3), round(p, 3)
    (1.414, 0.216)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.utils.multiclass import type_of_target

from keel.errors import EvaluationError
from keel.evaluate._paired_result import TestResult

__all__ = ["five_by_two_cv", "five_by_two_t"]


def five_by_two_t(differences: Any) -> tuple[float, float]:
    """The 5x2cv t statistic and its two-sided p-value (Student t, 5 degrees of freedom).

    Args:
        differences: array of shape (5, 2): B's score minus A's on fold j of repetition i.

    Returns:
        (t, p) with t = differences[0, 0] / sqrt(mean over i of s_i**2), where s_i**2 is
        the variance estimate of repetition i, sum over j of (d_ij - mean_j d_ij)**2.
    """
    d = np.asarray(differences, dtype=np.float64)
    if d.shape != (5, 2) or not np.isfinite(d).all():
        raise EvaluationError(
            f"The 5x2cv test takes a finite (5, 2) array of score differences; got shape "
            f"{d.shape}.",
            field="differences",
        )
    variances = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    spread = math.sqrt(variances.mean())
    if spread == 0:
        t = 0.0 if d[0, 0] == 0 else math.copysign(math.inf, d[0, 0])
    else:
        t = float(d[0, 0] / spread)
    return t, float(2 * stats.t.sf(abs(t), df=5))


def five_by_two_cv(
    estimator_a: Any,
    estimator_b: Any,
    X: Any,
    y: Any,
    *,
    scoring: str | Any = "accuracy",
    seed: int = 0,
) -> TestResult:
    """Fit clones of both estimators on 5 repetitions of 2-fold cross-validation and test.

    Folds are stratified when ``y`` is a class label, and both estimators see the same
    folds. ``effect`` is the mean of B's minus A's test score over the 10 folds (positive
    when B is better: scikit-learn scorers are greater-is-better, e.g. "neg_log_loss").

    Args:
        estimator_a, estimator_b: unfitted scikit-learn estimators (cloned, never fitted
            in place).
        X, y: all labelled rows; each fold trains on half of them.
        scoring: a scikit-learn scoring name or scorer callable.
        seed: seeds the five random halvings.

    Raises:
        EvaluationError: an unknown scoring name, or X and y of different lengths.
    """
    score = _scorer(scoring)
    if len(X) != len(y):
        raise EvaluationError(
            f"X has {len(X)} rows but y has {len(y)}; they must describe the same rows.",
            field="y",
        )
    folds = _folds(y, seed)
    scores_a = cross_validate(estimator_a, X, y, cv=folds, scoring=score)["test_score"]
    scores_b = cross_validate(estimator_b, X, y, cv=folds, scoring=score)["test_score"]
    differences = (scores_b - scores_a).reshape(5, 2)
    t, p = five_by_two_t(differences)
    return TestResult(
        test="5x2cv_t",
        metric=scoring if isinstance(scoring, str) else repr(scoring),
        estimate_a=float(scores_a.mean()),
        estimate_b=float(scores_b.mean()),
        effect=float(differences.mean()),
        ci_low=math.nan,
        ci_high=math.nan,
        statistic=t,
        p_value=p,
        p_adjusted=p,
        n=len(y),
        note="Dietterich's 5x2cv paired t-test (t on the first fold's difference, 5 df); "
        "effect is the mean B - A score over 10 folds; the test gives no interval",
    )


def _scorer(scoring: Any) -> Any:
    try:
        return get_scorer(scoring)
    except ValueError:
        raise EvaluationError(
            f"scoring must be a scikit-learn scoring name such as 'accuracy', 'roc_auc' or "
            f"'neg_root_mean_squared_error'. Got {scoring!r} instead.",
            field="scoring",
        ) from None


def _folds(y: Any, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    labels = np.asarray(y)
    stratify = type_of_target(labels) in ("binary", "multiclass")
    splitter = StratifiedKFold if stratify else KFold
    smallest = np.unique(labels, return_counts=True)[1].min() if stratify else labels.size
    if smallest < 2:
        raise EvaluationError(
            "The 5x2cv test trains on one half of the rows and tests on the other, keeping "
            "every class in both halves, so it needs at least 2 rows of each class; "
            f"the rarest {'class' if stratify else 'set'} has {smallest}.",
            field="y",
        )
    rng = np.random.default_rng(seed)
    folds = []
    for _ in range(5):
        halves = splitter(n_splits=2, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
        folds.extend(halves.split(np.zeros((labels.size, 1)), labels))
    return folds

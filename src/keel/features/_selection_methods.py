"""The five methods of `FeatureSelector`, each judging the features still in play.

Each method takes the sample matrix of the surviving features (shape (n_samples,
n_features)), the target and their names, and returns an `Outcome`: which features it keeps,
why it drops the others, and the per-feature scores it ranked them by.

Example:
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0, 2.0], [2.0, 0.0, 4.1], [3.0, 0.0, 5.9]])
    >>> settings = Settings("regression", keep=None, threshold=None, cv=3, random_state=0)
    >>> variance(X, None, ["a", "b", "c"], settings).reasons
    {'b': 'variance 0 <= threshold 0.0'}
    >>> correlation(X, None, ["a", "b", "c"], settings).reasons
    {'c': "|r| = 0.999 with 'a' > 0.95"}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
from sklearn.feature_selection import (
    RFECV,
    SelectFromModel,
    VarianceThreshold,
    mutual_info_classif,
    mutual_info_regression,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["DEFAULT_THRESHOLDS", "METHODS", "Outcome", "Settings", "ordinal"]

#: The threshold each method uses when none is given (``None``: the method needs none,
#: or, for importance, scikit-learn's "mean").
DEFAULT_THRESHOLDS: dict[str, float | None] = {
    "variance": 0.0,
    "correlation": 0.95,
    "mutual_info": 0.0,
    "importance": None,
    "rfe": None,
}
_SCORING = {"binary": "roc_auc", "multiclass": "neg_log_loss", "regression": "r2"}


@dataclass(frozen=True)
class Settings:
    task: str
    keep: int | None
    threshold: float | None
    cv: int
    random_state: int


@dataclass
class Outcome:
    """What one method decided: ``support`` over its input features, reasons for the rest."""

    support: np.ndarray
    reasons: dict[str, str]
    scores: np.ndarray


def variance(X: np.ndarray, y: Any, names: list[str], settings: Settings) -> Outcome:
    threshold = _threshold("variance", settings)
    assert threshold is not None
    try:
        variances = VarianceThreshold(threshold).fit(X).variances_
    except ValueError:  # scikit-learn refuses when no feature passes; the caller decides
        variances = np.var(X, axis=0)
    support = variances > threshold
    reasons = {
        names[j]: f"variance {variances[j]:.4g} <= threshold {threshold}"
        for j in np.flatnonzero(~support)
    }
    return Outcome(support, reasons, variances)


def correlation(X: np.ndarray, y: Any, names: list[str], settings: Settings) -> Outcome:
    """Drops each feature whose |Pearson r| with an earlier kept feature is over threshold."""
    threshold = _threshold("correlation", settings)
    # By hand because scikit-learn has no correlation filter: one corrcoef call (a BLAS
    # matrix product) gives every pair; the loop below is over features, not pairs.
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(np.atleast_2d(np.corrcoef(X, rowvar=False)))
    r = np.nan_to_num(r, nan=0.0)  # a constant feature correlates with nothing
    support = np.ones(X.shape[1], dtype=bool)
    strongest = np.zeros(X.shape[1])
    reasons = {}
    for j in range(1, X.shape[1]):
        earlier = np.flatnonzero(support[:j])
        partner = earlier[np.argmax(r[earlier, j])]
        strongest[j] = r[partner, j]
        if strongest[j] > threshold:
            support[j] = False
            reasons[names[j]] = f"|r| = {strongest[j]:.3f} with {names[partner]!r} > {threshold}"
    return Outcome(support, reasons, strongest)


def mutual_info(X: np.ndarray, y: Any, names: list[str], settings: Settings) -> Outcome:
    estimate = mutual_info_regression if settings.task == "regression" else mutual_info_classif
    scores = estimate(X, y, random_state=settings.random_state)
    if settings.keep is not None:
        why = _ranks(scores, settings.keep)
        support = np.zeros(len(scores), dtype=bool)
        support[np.argsort(-scores, kind="stable")[: settings.keep]] = True
    else:
        threshold = _threshold("mutual_info", settings)
        support = scores > threshold
        why = [f"<= threshold {threshold}"] * len(scores)
    reasons = {
        names[j]: f"mutual information {scores[j]:.4g} {why[j]}" for j in np.flatnonzero(~support)
    }
    return Outcome(support, reasons, scores)


def importance(X: np.ndarray, y: Any, names: list[str], settings: Settings) -> Outcome:
    # Few, depth-limited trees: importances to rank features by, not a model to predict with.
    forest = ExtraTreesRegressor if settings.task == "regression" else ExtraTreesClassifier
    keep, threshold = settings.keep, settings.threshold
    selector = SelectFromModel(
        forest(n_estimators=50, max_depth=12, random_state=settings.random_state),
        threshold=-np.inf if keep is not None else threshold,  # None: the mean importance
        max_features=keep,
    ).fit(X, y)
    scores = selector.estimator_.feature_importances_
    support = selector.get_support()
    if keep is not None:
        why = _ranks(scores, keep)
    else:
        label = "the mean importance" if threshold is None else "threshold"
        why = [f"< {label} {selector.threshold_:.4g}"] * len(scores)
    reasons = {names[j]: f"importance {scores[j]:.4g} {why[j]}" for j in np.flatnonzero(~support)}
    return Outcome(support, reasons, scores)


def _ranks(scores: np.ndarray, keep: int) -> list[str]:
    """Each score's rank (1st: the highest; ties in input order), as a reason to drop it."""
    rank = np.empty(len(scores), dtype=np.intp)
    rank[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return [f"ranked {ordinal(int(r))}, keep {keep}" for r in rank]


def rfe(X: np.ndarray, y: Any, names: list[str], settings: Settings) -> Outcome:
    classify = settings.task != "regression"
    model = LogisticRegression(max_iter=200, tol=1e-3) if classify else Ridge()
    folds = (StratifiedKFold if classify else KFold)(
        settings.cv, shuffle=True, random_state=settings.random_state
    )
    # One feature per round up to 40 features, else about 5% of them: each round refits
    # cv models, and 40 rounds of 3 folds on 50,000 rows take about 10 s.
    selector = RFECV(
        Pipeline([("scale", StandardScaler()), ("model", model)]),
        step=max(1, X.shape[1] // 20),
        cv=folds,
        scoring=_SCORING[settings.task],
        min_features_to_select=1,
        importance_getter="named_steps.model.coef_",
    ).fit(X, y)
    support = selector.support_.copy()
    why = f"eliminated by RFECV (best CV score with {selector.n_features_} features)"
    reasons = {names[j]: why for j in np.flatnonzero(~support)}
    return Outcome(support, reasons, selector.ranking_.astype(np.float64))


def _threshold(method: str, settings: Settings) -> float | None:
    return DEFAULT_THRESHOLDS[method] if settings.threshold is None else settings.threshold


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


METHODS: dict[str, Callable[[np.ndarray, Any, list[str], Settings], Outcome]] = {
    "variance": variance,
    "correlation": correlation,
    "mutual_info": mutual_info,
    "importance": importance,
    "rfe": rfe,
}

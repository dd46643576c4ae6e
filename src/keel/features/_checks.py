"""Checks on a fitted feature pipeline's output.

- `check_output` refuses a feature matrix a model must not see: not a 2-D float64 array,
  NaN or infinite values (the message names the first offending features and counts),
  or feature names that do not match its columns, repeat, or are empty.
- `find_leaky_features` flags a feature that *alone* predicts the target almost perfectly:
  per feature, the out-of-fold score (3 folds, seeded; stratified for classification) of a
  depth-4 decision tree on that one column, on a seeded sample of at most ``max_rows``
  rows. Classification is scored by balanced accuracy; regression by R^2 on the target's
  ranks scaled to [0, 1], so a feature that is a monotone function of the target scores
  the same whatever the target's distribution (a depth-4 tree has 16 leaves: an exact
  copy of a continuous target scores about 1 - 1/256 = 0.996 on ranks, while on a skewed
  raw target it could score well under 0.99). A feature scoring >= ``threshold`` is
  flagged. With more than 16 classes a depth-4 tree cannot separate them all, so a
  copy of such a target scores below 1.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> X = np.column_stack([rng.normal(size=500), y + rng.normal(0, 1e-3, 500)])
    >>> check_output(X, ["noise", "y_copy"])
    >>> [f.name for f in find_leaky_features(X, y, ["noise", "y_copy"], "binary")]
    ['y_copy']
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from keel.errors import FeatureError

__all__ = ["LeakyFeature", "check_output", "find_leaky_features"]

_TASKS = ("binary", "multiclass", "regression")
_FOLDS = 3
_SHOWN = 5  # offending names a message lists before "and N more"


@dataclass(frozen=True)
class LeakyFeature:
    """A feature that alone predicts the target almost perfectly.

    Attributes:
        name: the feature's name.
        score: its out-of-fold score on its own (balanced accuracy, or R^2 on target ranks).
        metric: ``"balanced_accuracy"`` or ``"r2"``.
        message: a sentence saying the score and that the feature may leak the target.
    """

    name: str
    score: float
    metric: str
    message: str


def check_output(X: np.ndarray, names: Sequence[str]) -> None:
    """Refuse a feature matrix that is not finite 2-D float64 with one unique name a column.

    Args:
        X: array of shape (n_samples, n_features), the fitted pipeline's output.
        names: the feature names, one per column of ``X``.

    Raises:
        FeatureError: naming the first offending features (and how many values) or the
            shape, dtype or name problem.
    """
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype != np.float64:
        got = f"{type(X).__name__} of dtype {getattr(X, 'dtype', '?')} with shape "
        raise FeatureError(
            "A feature matrix must be a 2-D numpy array of float64. "
            f"Got a {got}{getattr(X, 'shape', '?')} instead."
        )
    _check_names(list(names), X.shape[1])
    if np.isfinite(X).all():
        return
    nan = np.isnan(X).sum(axis=0)
    inf = np.isinf(X).sum(axis=0)
    bad = np.flatnonzero(nan + inf)
    shown = ", ".join(f"{names[j]!r} ({nan[j]} NaN, {inf[j]} inf)" for j in bad[:_SHOWN])
    more = f" and {bad.size - _SHOWN} more" if bad.size > _SHOWN else ""
    raise FeatureError(
        f"A feature matrix must hold only finite values. {bad.size} features hold NaN or "
        f"infinite values: {shown}{more}. A step let a missing or out-of-range value through."
    )


def _check_names(names: list[Any], width: int) -> None:
    if len(names) != width:
        raise FeatureError(
            f"A feature matrix needs one name a column: it has {width} columns. "
            f"Got {len(names)} names instead."
        )
    empty = [n for n in names if not isinstance(n, str) or not n]
    if empty:
        raise FeatureError(f"Feature names must be non-empty strings. Got {empty[:_SHOWN]!r}.")
    repeated = [n for n, count in Counter(names).items() if count > 1]
    if repeated:
        raise FeatureError(
            f"Feature names must be unique. Got {len(repeated)} repeated: {repeated[:_SHOWN]!r}."
        )


def find_leaky_features(
    X: np.ndarray,
    y: Sequence[Any] | np.ndarray | pd.Series,
    names: Sequence[str],
    task: str,
    *,
    threshold: float = 0.99,
    max_rows: int = 20000,
    random_state: int = 0,
) -> list[LeakyFeature]:
    """Features that alone predict the target almost perfectly, best score first.

    Args:
        X: array of shape (n_samples, n_features), the feature matrix.
        y: the target, one value per row; rows with a missing target are left out.
        names: the feature names, one per column of ``X``.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        threshold: the score from which a feature is flagged, in (0, 1].
        max_rows: the most rows scored (a seeded random sample beyond that).
        random_state: the seed of the sample and of the folds.

    Returns:
        The flagged features; empty when too few rows (under 6) or one class only.
    """
    _check_leak_settings(task, threshold, max_rows)
    X = np.asarray(X)
    names = list(names)
    if X.ndim != 2 or len(names) != X.shape[1] or len(y) != X.shape[0]:
        raise FeatureError(
            "find_leaky_features needs X of shape (n_samples, len(names)) and one target "
            f"value a row. Got X of shape {X.shape}, {len(names)} names, {len(y)} targets."
        )
    rows, target = _sample(pd.Series(np.asarray(y, dtype=object)), max_rows, random_state)
    if rows.size < 2 * _FOLDS:
        return []
    regression = task == "regression"
    codes = _codes(target, regression)
    if not regression and codes.max() == 0:
        return []
    columns = np.asfortranarray(X[rows].astype(np.float32))
    columns[~np.isfinite(columns)] = np.nan  # the trees split NaN apart; inf would stop them
    folds = _fold_masks(codes, regression, random_state)
    scorer = _r2 if regression else _balanced_accuracy
    score = _feature_scorer(columns, codes, folds, regression, scorer)
    # sklearn's tree builder releases the GIL: threads gave 1.7x on 2 cores (100 x 20k).
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        scores = list(pool.map(score, range(columns.shape[1])))
    metric = "r2" if regression else "balanced_accuracy"
    found = [_leak(names[j], s, metric, threshold) for j, s in enumerate(scores) if s >= threshold]
    return sorted(found, key=lambda f: -f.score)


def _check_leak_settings(task: str, threshold: float, max_rows: int) -> None:
    if task not in _TASKS:
        raise FeatureError(
            f"The 'task' setting of find_leaky_features must be one of {list(_TASKS)}. "
            f"Got {task!r} instead.",
            field="task",
        )
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        threshold = math.nan
    if not 0 < threshold <= 1:
        raise FeatureError(
            "The 'threshold' setting of find_leaky_features must be a number in (0, 1]. "
            f"Got {threshold!r} instead.",
            field="threshold",
        )
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 2 * _FOLDS:
        raise FeatureError(
            "The 'max_rows' setting of find_leaky_features must be an integer >= 6. "
            f"Got {max_rows!r} instead.",
            field="max_rows",
        )


def _sample(y: pd.Series, max_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the labelled rows scored (sorted), and their target values."""
    rows = np.flatnonzero(y.notna().to_numpy())
    if rows.size > max_rows:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(rows, size=max_rows, replace=False))
    return rows, y.to_numpy()[rows]


def _codes(target: np.ndarray, regression: bool) -> np.ndarray:
    """Regression: the target's ranks scaled to (0, 1]; classification: class codes 0..k-1."""
    if not regression:
        return np.unique(target.astype(str), return_inverse=True)[1]
    try:
        values = target.astype(np.float64)
    except (TypeError, ValueError):
        raise FeatureError(
            "A regression target must be numeric. "
            f"Got values such as {target[:3].tolist()!r} instead."
        ) from None
    return np.asarray(rankdata(values) / values.size)


def _fold_masks(codes: np.ndarray, regression: bool, seed: int) -> list[np.ndarray]:
    splitter = KFold if regression else StratifiedKFold
    split = splitter(n_splits=_FOLDS, shuffle=True, random_state=seed).split(codes, codes)
    return [test for _, test in split]


def _feature_scorer(
    columns: np.ndarray,
    y: np.ndarray,
    folds: list[np.ndarray],
    regression: bool,
    scorer: Callable[[np.ndarray, np.ndarray], float],
) -> Callable[[int], float]:
    model = DecisionTreeRegressor if regression else DecisionTreeClassifier

    def score(j: int) -> float:
        x = columns[:, j : j + 1]
        predicted = np.empty(y.size, dtype=np.float64 if regression else y.dtype)
        for test in folds:
            train = np.ones(y.size, dtype=bool)
            train[test] = False
            tree = model(max_depth=4, random_state=0).fit(x[train], y[train])
            predicted[test] = tree.predict(x[test])
        return scorer(y, predicted)

    return score


def _balanced_accuracy(y: np.ndarray, predicted: np.ndarray) -> float:
    """The mean over classes of the share of their rows predicted right."""
    right = np.bincount(y, weights=(predicted == y).astype(np.float64))
    present = np.bincount(y)
    return float(np.mean(right[present > 0] / present[present > 0]))


def _r2(y: np.ndarray, predicted: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - predicted) ** 2)) / total if total > 0 else 0.0


def _leak(name: str, score: float, metric: str, threshold: float) -> LeakyFeature:
    measure = "out-of-fold balanced accuracy" if metric == "balanced_accuracy" else "R^2"
    message = (
        f"Feature {name!r} alone predicts the target with {measure} {score:.4f} "
        f"(>= {threshold}): it may leak the target (a copy of it, or a value known only "
        "after the outcome)."
    )
    return LeakyFeature(name, score, metric, message)

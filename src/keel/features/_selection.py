"""FeatureSelector: the matrix step behind keel.yaml's ``select:``, keeping the features that
earn their place and saying why each of the others was dropped.

Methods run in the order given, each on the features the ones before it kept:

- ``variance``: scikit-learn's ``VarianceThreshold``, on all rows; drops variance <=
  ``threshold`` (default 0.0: constant features).
- ``correlation``: drops a feature whose ``|Pearson r|`` with an earlier kept feature is
  over ``threshold`` (default 0.95).
- ``mutual_info``: ``mutual_info_classif`` / ``mutual_info_regression``; keeps the top
  ``keep``, or without ``keep`` those over ``threshold`` (default 0.0).
- ``importance``: ``SelectFromModel`` over a seeded ``ExtraTrees``; keeps the top
  ``keep``, or without ``keep`` those with importance >= ``threshold`` (default: the mean).
- ``rfe``: ``RFECV`` over a scaled ``LogisticRegression`` / ``Ridge``, seeded folds.

All but ``variance`` fit on a seeded sample of at most ``max_rows`` rows. ``keep`` is for
``mutual_info`` and ``importance``; ``threshold`` is for the one method in the list that
uses it (two would be ambiguous, so that is a `FeatureError`). When a method would drop
every feature, the best one by that method's score is kept instead, and the reasons of the
others say so. ``transform`` returns the kept columns in input order; output names are the
kept input names.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=200), "flat": 1.0})
    >>> X["a2"] = X["a"] * 2.0 + 0.001 * rng.normal(size=200)
    >>> y = (X["a"] > 0).astype(int)
    >>> step = FeatureSelector(["variance", "correlation"], task="binary").fit(X, y)
    >>> step.kept_
    ['a']
    >>> step.dropped_
    {'flat': 'variance 0 <= threshold 0.0', 'a2': "|r| = 1.000 with 'a' > 0.95"}
    >>> step.vector_function()([0.5, 1.0, 1.0])
    [0.5]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin

from keel.errors import FeatureError
from keel.features._contract import check_fitted, require_setting
from keel.features._selection_methods import METHODS, Settings

__all__ = ["FeatureSelector"]

_OWNER = "features.select"
_TASKS = ("binary", "multiclass", "regression")
_SUPERVISED = ("mutual_info", "importance", "rfe")


class FeatureSelector(SelectorMixin, BaseEstimator):
    """Matrix step: keeps the features the chosen methods judge useful (see the module).

    Args:
        method: one of ``variance``, ``correlation``, ``mutual_info``, ``importance``,
            ``rfe``, or a list of them, applied in order.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        keep: how many features ``mutual_info`` / ``importance`` keep, at least 1.
        threshold: the cut-off of the one thresholded method in ``method``.
        cv: folds for ``rfe``, at least 2.
        random_state: seed of the row sample, the estimators and the folds.
        max_rows: rows sampled for fitting, at least 100.

    Attributes:
        kept_: the kept feature names, in input order.
        dropped_: each dropped feature name -> the reason, in words.
        scores_: method -> {feature name -> the score it ranked by}, for the features it saw.
    """

    def __init__(
        self,
        method: str | list[str],
        task: str,
        keep: int | None = None,
        threshold: float | None = None,
        cv: int = 3,
        random_state: int = 0,
        max_rows: int = 50000,
    ):
        self.method = method
        self.task = task
        self.keep = keep
        self.threshold = threshold
        self.cv = cv
        self.random_state = random_state
        self.max_rows = max_rows

    def fit(self, X: pd.DataFrame, y: Any = None) -> FeatureSelector:
        """Run the methods in order on ``X`` (shape (n_samples, n_features)) and ``y``."""
        methods = _checked_methods(self.method)
        self._check_params(methods)
        matrix = self._matrix(X, reset=True)
        names = [str(name) for name in getattr(self, "feature_names_in_", [])] or [
            f"x{j}" for j in range(matrix.shape[1])
        ]
        target = _checked_target(y, len(matrix), methods)
        rows = _sample_rows(len(matrix), self.max_rows, self.random_state)
        settings = Settings(self.task, self.keep, self.threshold, self.cv, self.random_state)
        alive = np.arange(matrix.shape[1])
        self.dropped_: dict[str, str] = {}
        self.scores_: dict[str, dict[str, float]] = {}
        for method in methods:
            # Variance is cheap on every row, and a sample could miss a rare non-zero value.
            data = matrix[:, alive] if method == "variance" else matrix[np.ix_(rows, alive)]
            labels = target if method == "variance" or target is None else target[rows]
            seen = [names[j] for j in alive]
            outcome = METHODS[method](data, labels, seen, settings)
            support = _never_empty(outcome, method, seen)
            self.scores_[method] = dict(zip(seen, map(float, outcome.scores), strict=True))
            self.dropped_.update(outcome.reasons)
            alive = alive[support]
        self.support_ = np.zeros(matrix.shape[1], dtype=bool)
        self.support_[alive] = True
        self.indices_ = alive
        self.kept_ = [names[j] for j in alive]
        return self

    def _check_params(self, methods: list[str]) -> None:
        _require(self.task in _TASKS, "task", f"be one of {list(_TASKS)}", self.task)
        for setting, least in (("cv", 2), ("max_rows", 100), ("random_state", None)):
            value = getattr(self, setting)
            ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
            ok = ok and (least is None or value >= least)
            _require(ok, setting, f"be an integer{f' >= {least}' if least else ''}", value)
        keep = self.keep
        if keep is not None:
            ok = isinstance(keep, int | np.integer) and not isinstance(keep, bool) and keep >= 1
            _require(ok, "keep", "be an integer >= 1", keep)
            ranked = any(m in ("mutual_info", "importance") for m in methods)
            _require(ranked, "keep", "be left out: only mutual_info and importance use it", keep)
        if self.threshold is not None:
            _check_threshold(self.threshold, methods, keep)

    def _matrix(self, X: Any, reset: bool) -> np.ndarray:
        """``X`` as a finite float64 matrix, its names checked against (or stored as) fit's."""
        if isinstance(X, pd.DataFrame):
            names = np.asarray([str(name) for name in X.columns], dtype=object)
            if reset:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_") and list(names) != list(self.feature_names_in_):
                raise FeatureError(
                    f"{_OWNER} was fitted on features {list(self.feature_names_in_)}; "
                    f"got {list(names)} instead.",
                    field=_OWNER,
                )
        elif reset and hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # refitted on an unnamed matrix
        try:
            matrix = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise FeatureError(f"{_OWNER} needs numeric features: {error}", field=_OWNER) from None
        if matrix.ndim != 2 or not np.isfinite(matrix).all():
            raise FeatureError(
                f"{_OWNER} needs a 2-D matrix of finite numbers (the upstream features). "
                f"Got shape {matrix.shape}{'' if matrix.ndim != 2 else ' with NaN or inf'}.",
                field=_OWNER,
            )
        if reset:
            self.n_features_in_ = matrix.shape[1]
        elif matrix.shape[1] != self.n_features_in_:
            raise FeatureError(
                f"{_OWNER} was fitted on {self.n_features_in_} features. "
                f"Got {matrix.shape[1]} instead.",
                field=_OWNER,
            )
        return matrix

    def _get_support_mask(self) -> np.ndarray:
        check_fitted(self)
        return self.support_

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The kept columns, in input order: float64 of shape (n_samples, len(kept_))."""
        check_fitted(self)
        return np.ascontiguousarray(self._matrix(X, reset=False)[:, self.indices_])

    def vector_function(self) -> Callable[[list[float]], list[float]]:
        """A function from one upstream row (in ``feature_names_in_`` order) to the kept values."""
        check_fitted(self)
        indices = [int(j) for j in self.indices_]
        if len(indices) == 1:
            (only,) = indices
            return lambda row: [row[only]]
        pick = itemgetter(*indices)
        return lambda row: list(pick(row))


def _never_empty(outcome: Any, method: str, names: list[str]) -> np.ndarray:
    """The method's support, or, when it kept nothing, its single best feature."""
    support = np.asarray(outcome.support, dtype=bool)
    if support.any():
        return support
    scores = np.asarray(outcome.scores, dtype=np.float64)
    best = int(np.argmax(-scores if method == "rfe" else scores))
    support[best] = True
    del outcome.reasons[names[best]]
    note = f" (every feature failed {method}: kept {names[best]!r}, its best, instead)"
    for name in outcome.reasons:
        outcome.reasons[name] += note
    return support


def _checked_methods(method: Any) -> list[str]:
    methods = [method] if isinstance(method, str) else method
    ok = isinstance(methods, list | tuple) and len(methods) > 0
    ok = ok and all(isinstance(m, str) and m in METHODS for m in methods)
    expected = f"be one of {sorted(METHODS)} or a non-empty list of them"
    _require(ok, "method", expected, method)
    _require(len(set(methods)) == len(methods), "method", "name each method once", method)
    return list(methods)


def _check_threshold(threshold: Any, methods: list[str], keep: int | None) -> None:
    users = [m for m in methods if m in ("variance", "correlation")]
    users += [m for m in methods if m in ("mutual_info", "importance") and keep is None]
    if len(users) != 1:
        expected = (
            "be left out: no method in the list uses it (variance, correlation, and "
            "mutual_info or importance without keep do)"
            if not users
            else f"be set for one method only; {users} would all use it (use two selectors)"
        )
        _require(False, "threshold", expected, threshold)
    ok = isinstance(threshold, int | float) and not isinstance(threshold, bool)
    ok = ok and math.isfinite(threshold)
    if users == ["correlation"]:
        _require(ok and 0 < threshold <= 1, "threshold", "be in (0, 1] for correlation", threshold)
    _require(ok and threshold >= 0, "threshold", f"be a number >= 0 for {users[0]}", threshold)


def _checked_target(y: Any, n: int, methods: list[str]) -> np.ndarray | None:
    needs = [m for m in methods if m in _SUPERVISED]
    if y is None:
        if needs:
            raise FeatureError(f"{_OWNER} needs y for {needs}.", field=_OWNER)
        return None
    target = np.asarray(y)
    if target.ndim != 1 or len(target) != n or (needs and pd.isna(target).any()):
        raise FeatureError(
            f"{_OWNER} needs y with one non-missing value per row of X ({n}). "
            f"Got shape {target.shape} instead.",
            field=_OWNER,
        )
    return target


def _sample_rows(n: int, max_rows: int, seed: int) -> np.ndarray:
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def _require(ok: bool, setting: str, expected: str, value: Any) -> None:
    require_setting(ok, _OWNER, setting, expected, value)

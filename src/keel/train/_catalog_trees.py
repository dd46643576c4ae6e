"""scikit-learn's tree ensembles: random forest, extra trees and histogram gradient boosting.

Forests are not iterative here: their trees are independent, so there is no validation
loss to stop on; ``n_estimators`` is searched instead. HistGradientBoosting is: its rounds
(``max_iter``) are capped by ``max_rounds`` and stopped early on the validation set, but
scikit-learn offers no per-round hook, so it never calls ``on_round``.

Example:
    >>> forest = Forest("random_forest", frozenset({"binary"}), cost=8)
    >>> forest.defaults(1000, "binary")
    {'n_estimators': 100, 'max_features': 'sqrt', 'min_samples_leaf': 1}
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from keel.train._catalog_base import Algorithm
from keel.train._catalog_common import (
    MAX_ROUNDS,
    Context,
    OnRound,
    StopFitting,
    capped,
    check_classes,
    int_range,
    seen_rows,
)
from keel.train._spaces import Choice, Dimension, Range

__all__ = ["Forest", "HistGradientBoosting"]

# HistGradientBoosting grows this many rounds between reports to ``on_round``.
_STEP = 50

_FORESTS = {
    "random_forest": (RandomForestClassifier, RandomForestRegressor),
    "extra_trees": (ExtraTreesClassifier, ExtraTreesRegressor),
}


class Forest(Algorithm):
    """Random forest or extra trees (by ``name``), searched over size and randomization."""

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {
            "n_estimators": int_range(16, 512, log=True),
            # A choice rather than a fraction: the library default "sqrt" depends on the
            # number of features, which the space does not know.
            "max_features": Choice(("sqrt", "log2", 0.25, 0.5, 0.75, 1.0)),
            "min_samples_leaf": int_range(1, min(64, max(1, n_rows // 10)), log=True),
        }

    def base_values(self, task: str) -> dict[str, Any]:
        regression = task == "regression"
        return {
            "n_estimators": 100,
            "max_features": 1.0 if regression else "sqrt",
            "min_samples_leaf": 1,
            "min_samples_split": 2,
            "max_depth": None,
            "max_leaf_nodes": None,
            "criterion": "squared_error" if regression else "gini",
            "bootstrap": self.name == "random_forest",
        }

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        classifier, regressor = _FORESTS[self.name]
        if context.task == "regression":
            return regressor(random_state=seed, n_jobs=context.n_jobs, **params)
        return classifier(
            random_state=seed, n_jobs=context.n_jobs, class_weight=context.class_weight, **params
        )


class HistGradientBoosting(Algorithm):
    """scikit-learn's histogram gradient boosting, early-stopped on the validation loss."""

    limit_threads = True  # OpenMP, with no thread setting of its own

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {
            "learning_rate": Range(0.01, 1.0, log=True),
            # Capped lower than LightGBM's: scikit-learn grows leaves more slowly.
            "max_leaf_nodes": int_range(4, min(512, n_rows), log=True),
            "min_samples_leaf": int_range(2, 128, log=True),
            "l2_regularization": Range(1e-10, 10.0, log=True),
            "max_features": Range(0.1, 1.0),
        }

    def base_values(self, task: str) -> dict[str, Any]:
        return {
            "learning_rate": 0.1,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 20,
            "l2_regularization": 0.0,
            "max_features": 1.0,
            "max_iter": MAX_ROUNDS,
            "max_depth": None,
            "max_bins": 255,
        }

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        params = {"max_iter": MAX_ROUNDS, **params}
        if context.task == "regression":
            return HistGradientBoostingRegressor(random_state=seed, **params)
        return HistGradientBoostingClassifier(
            random_state=seed, class_weight=context.class_weight, **params
        )

    def fit(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        *,
        X_valid: np.ndarray | None = None,
        y_valid: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        max_rounds: int | None = None,
        on_round: OnRound | None = None,
        early_stopping_rounds: int | None = 50,
    ) -> Any:
        context = self.context(estimator)
        classes = check_classes(y, context)
        stop = X_valid is not None and y_valid is not None and bool(early_stopping_rounds)
        cap = capped(estimator.max_iter, max_rounds)
        estimator.set_params(
            max_iter=cap,
            early_stopping=stop,
            n_iter_no_change=early_stopping_rounds if stop else 10,
            scoring="loss",
            warm_start=on_round is not None,
        )
        kwargs: dict[str, Any] = {"sample_weight": sample_weight}
        if stop:
            assert X_valid is not None and y_valid is not None
            kwargs["X_val"], kwargs["y_val"] = seen_rows(X_valid, y_valid, classes)
        with self._threads(context):
            if on_round is None:
                return estimator.fit(X, y, **kwargs)
            return self._fit_in_steps(estimator, X, y, kwargs, cap, on_round)

    def _fit_in_steps(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        kwargs: dict[str, Any],
        cap: int,
        on_round: OnRound,
    ) -> Any:
        """Grow the model ``_STEP`` rounds at a time (warm start) and report between steps:
        scikit-learn has no per-round hook, and without one a slow fit could neither be
        pruned nor stopped when its time is up."""
        target = min(_STEP, cap)
        while True:
            estimator.set_params(max_iter=target)
            estimator.fit(X, y, **kwargs)
            if estimator.n_iter_ < target or target >= cap:  # early-stopped, or at the cap
                return estimator
            scores = getattr(estimator, "validation_score_", np.empty(0))
            loss = float(-scores[-1]) if scores.size else float("nan")
            try:
                on_round(int(estimator.n_iter_), loss)
            except StopFitting:
                return estimator
            target = min(target + _STEP, cap)

    def best_rounds(self, estimator: Any) -> int | None:
        # validation_score_[i] is the (negated) loss after i rounds; the model keeps the
        # rounds run past the best, so a refit should stop at the best instead.
        scores = getattr(estimator, "validation_score_", np.empty(0))
        if scores.size > 1:
            return max(1, int(np.argmax(scores)))
        return int(estimator.n_iter_)

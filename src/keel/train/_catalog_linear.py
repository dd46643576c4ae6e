"""The cheap families: logistic regression, ridge regression and k-nearest neighbours.

They expect scaled features, which keel's feature pipeline gives by default
(``features.numeric.scale: standard``). None of them takes a thread count for its BLAS
calls, so fit and predict run under a thread limit of ``n_jobs``.

Example:
    >>> knn = KNN("knn", frozenset({"regression"}), cost=2)
    >>> knn.space(30)["n_neighbors"]
    Range(low=1, high=10, log=True, integer=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from keel.train._catalog_base import Algorithm
from keel.train._catalog_common import Context, OnRound, check_classes, int_range
from keel.train._spaces import Choice, Dimension, Range

__all__ = ["KNN", "Linear", "Logistic"]


class Logistic(Algorithm):
    """L2-regularized logistic regression (lbfgs), searched over C."""

    limit_threads = True

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {"C": Range(1e-4, 1e4, log=True)}

    def base_values(self, task: str) -> dict[str, Any]:
        # max_iter above the library's 100: lbfgs often needs more on many features.
        return {"C": 1.0, "max_iter": 1000, "tol": 1e-4, "fit_intercept": True}

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        params = {"max_iter": 1000, **params}
        return LogisticRegression(random_state=seed, class_weight=context.class_weight, **params)


class Linear(Algorithm):
    """Ridge regression, searched over alpha."""

    limit_threads = True

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {"alpha": Range(1e-4, 1e4, log=True)}

    def base_values(self, task: str) -> dict[str, Any]:
        return {"alpha": 1.0, "fit_intercept": True}

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        return Ridge(random_state=seed, **params)


class KNN(Algorithm):
    """k-nearest neighbours; class weights and sample weights do not apply and are ignored."""

    limit_threads = True

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {
            "n_neighbors": int_range(1, min(50, n_rows / 3), log=True),
            "weights": Choice(("uniform", "distance")),
        }

    def base_values(self, task: str) -> dict[str, Any]:
        return {"n_neighbors": 5, "weights": "uniform", "p": 2, "leaf_size": 30}

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        model = KNeighborsRegressor if context.task == "regression" else KNeighborsClassifier
        return model(n_jobs=context.n_jobs, **params)

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
        check_classes(y, context)
        # A fold can hold fewer rows than the neighbours the space allowed for all rows.
        estimator.set_params(n_neighbors=min(estimator.n_neighbors, len(X)))
        with self._threads(context):
            return estimator.fit(X, y)

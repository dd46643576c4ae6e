"""Model-agnostic inspection of the whole model on the data's own columns, by
scikit-learn's inspection module: permutation importance and partial dependence with ICE.

Both work on keel's AutoML (through a thin adapter: keel.evaluate._explain_model's
as_sklearn) and on any fitted scikit-learn estimator or Pipeline that predicts from a
DataFrame.

Example:
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=100), "noise": rng.normal(size=100)})
    >>> model = LinearRegression().fit(X, 2 * X["x"])
    >>> permutation_importance(model, X, 2 * X["x"]).to_series().index.tolist()
    ['x', 'noise']
    >>> dependence = partial_dependence(model, X, "x", grid_resolution=3)
    >>> dependence.kind, len(dependence.grid), dependence.individual.shape
    ('numeric', 3, (50, 3))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import inspection
from sklearn.metrics import get_scorer, get_scorer_names

from keel.errors import EvaluationError
from keel.evaluate._explain_model import (
    as_sklearn,
    check_columns,
    classes_of,
    input_columns,
    require_columns,
    require_fitted,
    require_frame,
    require_positive,
    task_of,
)

__all__ = [
    "PartialDependence",
    "PermutationImportance",
    "partial_dependence",
    "permutation_importance",
]

_DEFAULT_SCORING = {"binary": "roc_auc", "multiclass": "neg_log_loss", "regression": "r2"}


@dataclass(frozen=True, eq=False)
class PermutationImportance:
    """Drop in ``scoring`` when each column is shuffled, mean and std over ``n_repeats``,
    largest mean first."""

    features: list[str]
    mean: np.ndarray
    std: np.ndarray
    scoring: str
    n_repeats: int

    def to_series(self) -> pd.Series:
        return pd.Series(self.mean, index=self.features, name=f"importance_{self.scoring}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "scoring": self.scoring,
            "n_repeats": self.n_repeats,
        }


@dataclass(frozen=True, eq=False)
class PartialDependence:
    """The model's mean output (``average``) and some rows' own curves (``individual``,
    ICE) as ``feature`` moves over ``grid``. Shapes: average (n_grid,), individual
    (n_lines, n_grid); a multiclass model adds a leading class axis (``classes`` order).
    Classification outputs are probabilities (binary: of ``classes[-1]``)."""

    feature: str
    kind: str
    grid: list[Any]
    average: np.ndarray
    individual: np.ndarray
    classes: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "kind": self.kind,
            "grid": list(self.grid),
            "average": self.average.tolist(),
            "individual": self.individual.tolist(),
            "classes": [c.item() if isinstance(c, np.generic) else c for c in self.classes],
        }


def permutation_importance(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    scoring: str | None = None,
    n_repeats: int = 5,
    seed: int = 0,
    max_rows: int = 10_000,
) -> PermutationImportance:
    """How much ``scoring`` drops when each column of X is shuffled (on a seeded sample
    of ``max_rows`` rows). ``scoring`` is a scikit-learn scorer name; by default roc_auc
    (binary), neg_log_loss (multiclass) or r2 (regression).

    Raises:
        EvaluationError: X and y differ in length, an unknown scorer, missing columns.
    """
    require_positive(n_repeats=n_repeats, max_rows=max_rows)
    estimator, X = _prepared(model, X)
    target = np.asarray(y)
    if target.shape[0] != len(X):
        raise EvaluationError(
            f"X has {len(X)} rows but y has {target.shape[0]}; they must be the same rows.",
            field="y",
        )
    _check_labels(model, target)
    scoring = scoring or _DEFAULT_SCORING[task_of(model)]
    _check_scoring(scoring)
    rows = _sample(len(X), max_rows, seed)
    found = inspection.permutation_importance(
        estimator,
        X.iloc[rows],
        target[rows],
        scoring=scoring,
        n_repeats=n_repeats,
        random_state=seed,
    )
    order = np.argsort(-found.importances_mean, kind="stable")
    names = [str(X.columns[i]) for i in order]
    mean, std = found.importances_mean[order], found.importances_std[order]
    return PermutationImportance(names, mean, std, scoring, n_repeats)


def partial_dependence(
    model: Any,
    X: pd.DataFrame,
    feature: str,
    *,
    grid_resolution: int = 20,
    ice_lines: int = 50,
    seed: int = 0,
    max_rows: int = 2_000,
) -> PartialDependence:
    """Partial dependence and ICE curves of ``feature`` (numeric or categorical), averaged
    over a seeded sample of ``max_rows`` rows of X, ``ice_lines`` of them kept as curves.

    Raises:
        EvaluationError: ``feature`` is not a column of X, or has no observed value.
    """
    require_positive(ice_lines=ice_lines, max_rows=max_rows)
    if grid_resolution < 2:
        raise EvaluationError(
            f"grid_resolution must be an integer >= 2. Got {grid_resolution!r} instead.",
            field="grid_resolution",
        )
    estimator, X = _prepared(model, X)
    check_columns([feature], [str(c) for c in X.columns], "feature")
    rows = X.iloc[_sample(len(X), max_rows, seed)]
    categorical = not pd.api.types.is_numeric_dtype(X[feature]) or pd.api.types.is_bool_dtype(
        X[feature]
    )
    grid = _grid(X[feature], categorical, grid_resolution)
    found = inspection.partial_dependence(
        estimator,
        rows,
        [feature],
        categorical_features=[feature] if categorical else None,
        custom_values={feature: grid},
        kind="both",
    )
    lines = _sample(len(rows), ice_lines, seed)
    average, individual = found["average"], found["individual"][:, lines]
    if task_of(model) != "multiclass":
        average, individual = average[0], individual[0]
    kind = "categorical" if categorical else "numeric"
    classes = classes_of(model).tolist()
    return PartialDependence(feature, kind, grid.tolist(), average, individual, classes)


def _prepared(model: Any, X: Any) -> tuple[Any, pd.DataFrame]:
    require_frame(X)
    require_fitted(model)
    require_columns(X, input_columns(model, X))
    return as_sklearn(model), X


def _check_labels(model: Any, target: np.ndarray) -> None:
    classes = classes_of(model)
    unknown = [] if classes.size == 0 else sorted(set(np.unique(target)) - set(classes.tolist()))
    if unknown:
        raise EvaluationError(
            f"y holds labels the model does not know: {unknown[:5]}. The model's classes are "
            f"{classes.tolist()[:10]}.",
            field="y",
        )


def _check_scoring(scoring: str) -> None:
    try:
        get_scorer(scoring)
    except ValueError:
        raise EvaluationError(
            f"The scoring {scoring!r} is not a scikit-learn scorer name. Expected one of "
            f"{', '.join(sorted(get_scorer_names())[:12])}, ... "
            "(see sklearn.metrics.get_scorer_names()).",
            field="scoring",
        ) from None


def _grid(column: pd.Series, categorical: bool, resolution: int) -> np.ndarray:
    # Computed here on the observed values: scikit-learn's own grid (1.9) is all NaN when
    # the column has a missing value, and np.unique fails on categories mixed with NaN.
    observed = column.dropna()
    if observed.empty:
        raise EvaluationError(
            f"The column {column.name!r} has no observed value to vary.", field="feature"
        )
    if categorical:
        return observed.value_counts().index[:resolution].to_numpy(dtype=object)
    values = np.unique(observed.to_numpy(dtype=np.float64))
    if values.size < resolution:  # scikit-learn's rule: few values are the grid
        return values
    low, high = np.percentile(observed.to_numpy(dtype=np.float64), [5, 95])
    return np.linspace(low, high, resolution)


def _sample(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))

"""SHAP values in the data's own columns, for a whole frame (global importance) or rows.

A single tree model (LightGBM, XGBoost, CatBoost, forests, histogram boosting) is
explained by shap's TreeExplainer on the transformed matrix, exactly and fast; any other
model (ensembles, linear models, k-NN) by permutation SHAP over background rows (shap's
PermutationExplainer estimator, batched: see keel.evaluate._explain_permutation). Values
on the transformed matrix are then summed into the input columns each feature was made
from, which keeps ``values.sum(axis=1) + base_values`` equal to the model's output in
``output_space``.

Example:
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"x": rng.normal(size=200), "noise": rng.normal(size=200)})
    >>> forest = RandomForestRegressor(n_estimators=20, random_state=0)
    >>> forest = forest.fit(frame, 3 * frame["x"])
    >>> explained = shap_values(forest, frame)
    >>> explained.explainer, explained.output_space, explained.mean_abs().index[0]
    ('tree', 'value', 'x')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.evaluate._explain_model import (
    input_columns,
    plain,
    require_columns,
    require_fitted,
    require_frame,
    require_positive,
)
from keel.evaluate._explain_subject import Subject, subject_of
from keel.evaluate._sources import to_columns

__all__ = ["ShapExplanation", "explain_rows", "shap_values"]

#: Rows explained when ``max_rows`` is None: TreeSHAP is cheap; permutation SHAP costs
#: 20 x (n_features - 1) x ``background_rows`` model predictions per row.
TREE_ROWS, PERMUTATION_ROWS = 10_000, 500


@dataclass(frozen=True, eq=False)
class ShapExplanation:
    """SHAP values of some rows, in the model's input columns.

    Attributes:
        values: array of shape (n_rows, n_features), or (n_rows, n_features, n_classes)
            for a multiclass model (binary: the positive class, ``classes[-1]``).
        base_values: shape (n_rows,) or (n_rows, n_classes); each row's values sum to its
            output in ``output_space`` minus its base value.
        feature_names: the input columns, in ``values`` order.
        data: the explained rows of the frame given, in order.
        output_space: "log_odds", "raw" (multiclass margins), "probability" or "value".
        explainer: "tree" or "permutation".
        classes: the labels of the multiclass axis (the explained class for binary).
        shared: transformed features made from several columns (interaction terms), whose
            values were split equally between those columns.
    """

    values: np.ndarray
    base_values: np.ndarray
    feature_names: list[str]
    data: pd.DataFrame
    output_space: str
    explainer: str
    classes: list[Any]
    shared: tuple[str, ...] = ()

    def mean_abs(self) -> pd.Series:
        """Global importance: mean |SHAP| per column (averaged over classes), largest first."""
        magnitude = np.abs(self.values).mean(axis=0)
        if magnitude.ndim == 2:
            magnitude = magnitude.mean(axis=1)
        ranked = pd.Series(magnitude, index=self.feature_names, name="mean_abs_shap")
        return ranked.sort_values(ascending=False, kind="stable")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able content (the explained rows themselves are left out)."""
        return {
            "feature_names": list(self.feature_names),
            "values": self.values.tolist(),
            "base_values": self.base_values.tolist(),
            "output_space": self.output_space,
            "explainer": self.explainer,
            "classes": [plain(c) for c in self.classes],
            "shared": list(self.shared),
            "mean_abs": {k: float(v) for k, v in self.mean_abs().items()},
        }


def shap_values(
    model: Any,
    X: pd.DataFrame,
    *,
    max_rows: int | None = None,
    background_rows: int = 100,
    seed: int = 0,
) -> ShapExplanation:
    """SHAP values of ``model`` on the rows of ``X``, in ``X``'s (the model's input) columns.

    Args:
        model: keel's AutoML or a fitted scikit-learn estimator or Pipeline.
        X: rows to explain, a DataFrame with the model's input columns.
        max_rows: explain a seeded sample of this many rows at most (None: 10,000 for a
            tree model, 500 for the permutation explainer).
        background_rows: rows of ``X`` (seeded sample) the permutation explainer masks with.
        seed: seeds both samples and the permutations.

    Raises:
        EvaluationError: ``X`` is not a non-empty DataFrame with the model's columns, the
            model is not fitted, or a row count is below 1.
    """
    require_frame(X)
    require_fitted(model)
    require_positive(max_rows=max_rows, background_rows=background_rows)
    require_columns(X, input_columns(model, X))
    subject = subject_of(model, X)
    rng = np.random.default_rng(seed)
    limit = max_rows or (TREE_ROWS if subject.tree is not None else PERMUTATION_ROWS)
    rows = _sample(len(X), limit, rng)
    background = X.iloc[_sample(len(X), background_rows, rng)]
    return explain_rows(subject, X.iloc[rows], background, seed)


def explain_rows(
    subject: Subject, rows: pd.DataFrame, background: pd.DataFrame, seed: int
) -> ShapExplanation:
    """SHAP values of ``rows`` against ``background`` (used by the permutation path only)."""
    from keel.evaluate._explain_compute import permutation_values, tree_values

    matrix = subject.encode(rows)
    if subject.tree is not None:
        values, base, space = tree_values(subject, matrix)
    else:
        values, base, space = permutation_values(subject, matrix, subject.encode(background), seed)
    if subject.weights is not None:
        values = to_columns(values, subject.weights)
    classes = subject.classes.tolist()
    explained = classes[-1:] if subject.task == "binary" else classes
    kind = "tree" if subject.tree is not None else "permutation"
    return ShapExplanation(
        values, base, list(subject.columns), rows, space, kind, explained, subject.shared
    )


def _sample(n: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(rng.choice(n, size=limit, replace=False))

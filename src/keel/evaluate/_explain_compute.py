"""SHAP values on a Subject's matrix: shap's TreeExplainer for a single tree model,
permutation SHAP (exactly additive, model-agnostic) for everything else.

Both return values of shape (n_rows, n_features) for one output (regression, the positive
class of a binary task) or (n_rows, n_features, n_classes), base values of shape (n_rows,)
or (n_rows, n_classes), and the space the values add up in.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import shap

from keel.evaluate._explain_permutation import permutation_shap
from keel.evaluate._explain_subject import Subject

__all__ = ["permutation_values", "tree_values"]

Values = tuple[np.ndarray, np.ndarray, str]
_PROBABILITY_TREES = ("random_forest", "extra_trees")


def tree_values(subject: Subject, matrix: np.ndarray) -> Values:
    """TreeSHAP (tree path dependent): needs no background rows and
    adds up to the model's raw output: log-odds or margins for boosting, probabilities
    for forests, values for regression."""
    explainer = shap.TreeExplainer(subject.tree)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap's notes on LightGBM's output format
        values = explainer.shap_values(matrix, tree_limit=_tree_limit(subject.tree), from_call=True)
    base = np.asarray(explainer.expected_value, dtype=np.float64)
    values, base = _one_output(np.asarray(values, dtype=np.float64), base, subject.task)
    return values, np.tile(base, (matrix.shape[0], *([1] * base.ndim))), _tree_space(subject)


def permutation_values(
    subject: Subject, matrix: np.ndarray, background: np.ndarray, seed: int
) -> Values:
    """Permutation SHAP over ``background`` rows: the values of each row add up to the
    model's output minus its mean output on the background (see _explain_permutation)."""
    values, base = permutation_shap(_output(subject), matrix, background, seed)
    return values, base, "value" if subject.task == "regression" else "probability"


def _output(subject: Subject) -> Callable[[np.ndarray], np.ndarray]:
    if subject.task != "binary":
        return subject.predict
    return lambda matrix: subject.predict(matrix)[:, -1]


def _tree_limit(tree: Any) -> int | None:
    # shap asks LightGBM for every tree; the estimator predicts with its best iteration.
    best = (
        getattr(tree, "best_iteration_", None) if type(tree).__name__.startswith("LGBM") else None
    )
    return int(best) if best else None


def _one_output(values: np.ndarray, base: np.ndarray, task: str) -> tuple[np.ndarray, np.ndarray]:
    if task == "multiclass":
        return values, base.reshape(-1)
    if values.ndim == 3:  # scikit-learn forests explain both classes of a binary task
        values = values[..., -1]
    return values, base.reshape(-1)[-1:].reshape(())


def _tree_space(subject: Subject) -> str:
    if subject.task == "regression":
        return "value"
    if subject.family in _PROBABILITY_TREES:
        return "probability"
    return "log_odds" if subject.task == "binary" else "raw"

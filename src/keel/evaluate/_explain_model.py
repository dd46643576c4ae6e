"""What explanations, inspection and counterfactuals need to know about a fitted model:
its task, its classes, its input columns, its output on a frame, and a record as a frame.

A model is keel's AutoML (``features_``, ``model_``, ``task_``, ``classes_``) or any fitted
scikit-learn estimator or Pipeline that predicts from a DataFrame.

Example:
    >>> from sklearn.linear_model import LogisticRegression
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(frame, [0, 0, 1, 1])
    >>> task_of(model), input_columns(model, frame), record_frame({"x": 1.5}, ["x"]).shape
    ('binary', ['x'], (1, 1))
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from keel.errors import EvaluationError

__all__ = [
    "as_sklearn",
    "check_columns",
    "classes_of",
    "input_columns",
    "is_keel",
    "model_output",
    "plain",
    "record_frame",
    "require_columns",
    "require_fitted",
    "require_frame",
    "require_positive",
    "task_of",
]


def is_keel(model: Any) -> bool:
    """Whether ``model`` is keel's AutoML (a feature pipeline in front of a FittedModel)."""
    return hasattr(model, "features_") and hasattr(model, "model_")


def require_fitted(model: Any) -> None:
    """A scikit-learn-style estimator must be fitted; an object without ``fit`` must at
    least predict (a wrapped, already trained model)."""
    if not hasattr(model, "fit"):
        if not hasattr(model, "predict"):
            raise EvaluationError(
                f"The model must be a fitted estimator with predict(); got {type(model).__name__}.",
                field="model",
            )
        return
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise EvaluationError(
            f"The model must be fitted; got an unfitted {type(model).__name__}. Fit it (or "
            "load a trained keel model) before explaining it.",
            field="model",
        ) from None


def require_frame(X: Any, field: str = "X") -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise EvaluationError(
            f"{field} must be a pandas DataFrame of the model's input columns; got "
            f"{type(X).__name__} instead.",
            field=field,
        )
    if len(X) == 0:
        raise EvaluationError(f"{field} has no rows.", field=field)
    return X


def task_of(model: Any) -> str:
    """ "binary", "multiclass" or "regression"."""
    task = getattr(model, "task_", None)
    if task is not None:
        return str(task)
    if not hasattr(model, "predict_proba"):
        return "regression"
    return "binary" if len(model.classes_) == 2 else "multiclass"


def classes_of(model: Any) -> np.ndarray:
    """The class labels in probability-column order; empty for regression."""
    if task_of(model) == "regression":
        return np.array([])
    return np.asarray(model.classes_)


def input_columns(model: Any, X: pd.DataFrame | None = None) -> list[str]:
    """The raw columns the model reads: the feature pipeline's inputs, the estimator's
    ``feature_names_in_``, or else the columns of ``X``."""
    if is_keel(model):
        return [str(c) for c in model.features_.input_columns_]
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        if X is not None and _sanitized(names) == _sanitized(X.columns):
            return [str(c) for c in X.columns]  # LightGBM stores "mean radius" as "mean_radius"
        return [str(c) for c in names]
    if X is None:
        raise EvaluationError(
            f"Cannot tell which columns {type(model).__name__} reads: it has no "
            "feature_names_in_. Fit it on a DataFrame.",
            field="model",
        )
    return [str(c) for c in X.columns]


def _sanitized(names: Any) -> list[str]:
    return [re.sub(r"[^0-9A-Za-z]", "_", str(name)) for name in names]


def model_output(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """Probabilities of shape (n_rows, n_classes), or predicted values of shape (n_rows,)."""
    if task_of(model) == "regression":
        return np.asarray(model.predict(frame), dtype=np.float64)
    return np.asarray(model.predict_proba(frame), dtype=np.float64)


def record_frame(record: Mapping[str, Any] | pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One record (a dict, absent keys missing, or a one-row DataFrame) as a one-row frame."""
    if isinstance(record, pd.DataFrame):
        if len(record) != 1:
            raise EvaluationError(
                f"A record is one row; got a DataFrame of {len(record)} rows.", field="record"
            )
        return record.reindex(columns=list(columns)).reset_index(drop=True)
    if not isinstance(record, Mapping):
        raise EvaluationError(
            f"A record is a dict of column -> value or a one-row DataFrame; got "
            f"{type(record).__name__} instead.",
            field="record",
        )
    return pd.DataFrame([{c: record.get(c) for c in columns}], columns=list(columns))


def check_columns(names: Sequence[Any], columns: Sequence[str], field: str) -> None:
    """Raise EvaluationError naming the ``names`` (given as ``field``) not in ``columns``."""
    unknown = [n for n in names if n not in set(columns)]
    if unknown:
        shown = ", ".join(map(str, columns[:30])) + (", ..." if len(columns) > 30 else "")
        raise EvaluationError(
            f"{field} names {', '.join(map(repr, unknown))}, which is not among the columns. "
            f"Columns: {shown or '(none)'}.",
            field=field,
        )


def require_positive(**counts: int | None) -> None:
    """Raise EvaluationError for the first count (by keyword) below 1; None passes."""
    for name, count in counts.items():
        if count is not None and count < 1:
            raise EvaluationError(
                f"{name} must be an integer >= 1. Got {count!r} instead.", field=name
            )


def require_columns(X: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise EvaluationError naming the model's input ``columns`` that X lacks."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise EvaluationError(
            f"X lacks the model's input column(s) {', '.join(map(repr, missing))}. "
            f"Columns of X: {', '.join(map(str, X.columns))}.",
            field="X",
        )


def plain(value: Any) -> Any:
    """A cell or label as plain Python for JSON: NumPy scalars unwrapped, missing as None."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def as_sklearn(model: Any) -> Any:
    """``model`` as scikit-learn's inspection tools expect: keel's AutoML wrapped in a
    classifier or regressor adapter, any other estimator as it is."""
    if not is_keel(model):
        return model
    return _AsRegressor(model) if task_of(model) == "regression" else _AsClassifier(model)


class _Adapter(BaseEstimator):
    """keel's AutoML as scikit-learn expects an estimator. AutoML does both tasks, so it
    carries neither ClassifierMixin nor RegressorMixin: partial_dependence refuses it
    ("must be a fitted regressor or classifier") and the scorers take it for a regressor
    (roc_auc then fails on its 2-D probabilities); permutation_importance also wants fit."""

    def __init__(self, model: Any):
        self.model = model

    def fit(self, X: pd.DataFrame, y: Any) -> _Adapter:
        self.model.fit(X, y)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model.predict(X))

    def __sklearn_is_fitted__(self) -> bool:
        return True


class _AsClassifier(ClassifierMixin, _Adapter):
    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.model.classes_)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model.predict_proba(X))


class _AsRegressor(RegressorMixin, _Adapter):
    pass

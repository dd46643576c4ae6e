"""A model as the SHAP explainers see it: a numeric matrix, a function from that matrix to
the model's output, and the way back from the matrix's columns to the data's columns.

For keel's AutoML the matrix is the feature pipeline's output and the function the fitted
model (one tree model, or any member or ensemble); for a scikit-learn estimator it is the
DataFrame itself, categories as integer codes that are decoded before each prediction.

Example:
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "z": [1.0, 0.0, 1.0, 0.0]})
    >>> forest = RandomForestClassifier(n_estimators=3, random_state=0)
    >>> subject = subject_of(forest.fit(frame, [0, 0, 1, 1]), frame)
    >>> subject.family, subject.columns, subject.encode(frame).shape
    ('random_forest', ['x', 'z'], (4, 2))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.evaluate._explain_model import classes_of, input_columns, is_keel, model_output, task_of
from keel.evaluate._sources import aggregation_matrix, feature_sources

__all__ = ["TREE_FAMILIES", "Subject", "subject_of"]

#: Families shap's TreeExplainer computes exactly (hist_gradient_boosting: shap reads its
#: predictors; measured additive to 1e-14 on binary and regression models).
TREE_FAMILIES = frozenset(
    {"lightgbm", "xgboost", "random_forest", "extra_trees", "catboost", "hist_gradient_boosting"}
)
_FAMILY_OF_CLASS = {
    "LGBM": "lightgbm",
    "XGB": "xgboost",
    "RandomForest": "random_forest",
    "ExtraTrees": "extra_trees",
    "CatBoost": "catboost",
    "HistGradientBoosting": "hist_gradient_boosting",
}


@dataclass(frozen=True, eq=False)
class Subject:
    """What to explain. ``weights`` (n_matrix_columns, n_columns) sums matrix-level values
    into ``columns``; ``tree`` is a single tree model fed the matrix, or None; ``shared``
    names the matrix features split between several columns."""

    columns: list[str]
    task: str
    classes: np.ndarray
    encode: Callable[[pd.DataFrame], np.ndarray]
    predict: Callable[[np.ndarray], np.ndarray]
    weights: np.ndarray | None = None
    tree: Any = None
    family: str | None = None
    shared: tuple[str, ...] = ()


def subject_of(model: Any, frame: pd.DataFrame) -> Subject:
    """The explainers' view of ``model``; ``frame`` supplies the categories to encode."""
    if is_keel(model):
        return _keel_subject(model)
    return _estimator_subject(model, frame)


def _keel_subject(model: Any) -> Subject:
    pipe, fitted, task = model.features_, model.model_, task_of(model)
    columns = [str(c) for c in pipe.input_columns_]
    sources = feature_sources(pipe)
    family, _, estimator = fitted.members[0]
    single = len(fitted.members) == 1 and family in TREE_FAMILIES
    tree = estimator if single and _all_classes(estimator, model) else None
    shared = tuple(n for n, s in zip(pipe.feature_names_out_, sources, strict=True) if len(s) > 1)
    weights = aggregation_matrix(sources, columns)
    classes = classes_of(model)
    return Subject(
        columns, task, classes, pipe.transform, fitted.predict, weights, tree, family, shared
    )


def _all_classes(estimator: Any, model: Any) -> bool:
    # keel pads the probabilities of a class a member never saw; its trees lack that output.
    seen = getattr(estimator, "classes_", None)
    return seen is None or len(seen) == len(classes_of(model))


def _estimator_subject(model: Any, frame: pd.DataFrame) -> Subject:
    columns = input_columns(model, frame)
    task, classes = task_of(model), classes_of(model)
    family = _family(model)
    numeric = all(pd.api.types.is_numeric_dtype(frame[c]) for c in columns)
    if family is not None and numeric and not _is_bool(frame, columns):
        return Subject(
            columns,
            task,
            classes,
            _numeric_encoder(columns),
            _frame_predictor(model, columns),
            tree=model,
            family=family,
        )
    if family == "lightgbm" and not _is_bool(frame, columns):
        # LightGBM reads pandas categories itself, and shap's TreeExplainer passes the
        # frame through to LightGBM's own exact contributions: no encoding needed.
        return Subject(columns, task, classes, lambda rows: rows[columns],
                       _frame_predictor(model, columns), tree=model, family=family)  # fmt: skip
    codec = _Codec(frame, columns)
    predict = _frame_predictor(model, columns, codec.decode)
    return Subject(columns, task, classes, codec.encode, predict, family=family)


def _family(model: Any) -> str | None:
    name = type(model).__name__
    return next((f for prefix, f in _FAMILY_OF_CLASS.items() if name.startswith(prefix)), None)


def _is_bool(frame: pd.DataFrame, columns: list[str]) -> bool:
    return any(pd.api.types.is_bool_dtype(frame[c]) for c in columns)


def _numeric_encoder(columns: list[str]) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda frame: frame[columns].to_numpy(dtype=np.float64)


def _frame_predictor(
    model: Any, columns: list[str], decode: Callable[[np.ndarray], pd.DataFrame] | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    to_frame = decode or (lambda matrix: pd.DataFrame(matrix, columns=columns))
    return lambda matrix: model_output(model, to_frame(matrix))


class _Codec:
    """Numeric columns as floats and the others as category codes (NaN when missing), so a
    model on a mixed DataFrame can be explained over a float matrix and fed back frames."""

    def __init__(self, frame: pd.DataFrame, columns: list[str]):
        self.columns = columns
        self.categories = {
            c: pd.Index(frame[c].dropna().unique())
            for c in columns
            if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
        }
        # A model fitted on pandas categories (LightGBM, HistGradientBoosting) refuses
        # the same values as plain objects: decoded columns get their dtype back.
        self.dtypes = {c: frame[c].dtype for c in self.categories}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)))
        for j, column in enumerate(self.columns):
            categories = self.categories.get(column)
            if categories is None:
                out[:, j] = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                codes = categories.get_indexer(frame[column]).astype(np.float64)
                out[:, j] = np.where(codes < 0, np.nan, codes)
        return out

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for j, column in enumerate(self.columns):
            categories = self.categories.get(column)
            if categories is None:
                data[column] = matrix[:, j]
                continue
            codes = matrix[:, j]
            known = ~np.isnan(codes)
            values = np.full(len(codes), None, dtype=object)
            values[known] = categories.to_numpy()[codes[known].astype(np.intp)]
            dtype = self.dtypes[column]
            data[column] = pd.Series(values).astype(dtype) if dtype == "category" else values
        return pd.DataFrame(data, columns=self.columns)

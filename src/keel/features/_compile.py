"""The single-record fast path: a fitted FeaturePipeline compiled to plain Python over lists.

Why by hand: scikit-learn's ``transform`` on a one-row DataFrame spends ~1 ms in input
validation and DataFrame handling per call; serving needs tens of microseconds. Each fitted
step is turned into a function from a list of floats to a list of floats, built from the
step's own fitted attributes (scalers, imputers, binners) or from tables made by running
the step's own ``transform`` on every known category (encoders), so the result is the
batch output by construction. keel's own transformers bring their ``record_function`` /
``vector_function``. Any other step falls back to its ``transform`` on one row.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from keel.errors import FeatureError
from keel.features._compile_tables import category_table_function
from keel.features._prepare import category_text, number

__all__ = ["compile_record_function"]

Row = list[float]
StepFn = Callable[[list[Any]], Row]


def compile_record_function(pipe: Any) -> Callable[[Mapping[str, Any]], np.ndarray]:
    """The fast path of a fitted FeaturePipeline: record (dict) -> feature row."""
    kinds = pipe.plan_.kinds
    branches = []
    for _, step, columns in pipe.columns_.transformers_:
        if isinstance(step, str):  # "drop": the remainder
            continue
        gather = [(c, _preparer(kinds.get(c), c)) for c in columns]
        branches.append((gather, _branch_function(step, list(columns))))
    after = [step.vector_function() for _, step in pipe.after_]

    def one(record: Mapping[str, Any]) -> np.ndarray:
        get = record.get
        out: Row = []
        for gather, function in branches:
            out.extend(function([prepare(get(column)) for column, prepare in gather]))
        for vector_function in after:
            out = vector_function(out)
        return np.array(out, dtype=np.float64)

    return one


def _preparer(kind: str | None, column: str) -> Callable[[Any], Any]:
    if kind == "numeric":
        return lambda value: _fast_number(value, column)
    if kind == "categorical":
        return lambda value: value if type(value) is str else category_text(value)
    return lambda value: value


def _fast_number(value: Any, column: str) -> float:
    if type(value) is float:
        return value
    return number(value, column)


def _branch_function(step: Any, columns: list[str]) -> StepFn:
    if isinstance(step, Pipeline):
        functions, names = [], columns
        for _, inner in step.steps:
            functions.append(step_function(inner, names))
            names = [str(n) for n in inner.get_feature_names_out(names)]
        return _chain(functions)
    return step_function(step, columns)


def _chain(functions: list[StepFn]) -> StepFn:
    if len(functions) == 1:
        return functions[0]

    def chained(values: list[Any]) -> Row:
        for function in functions:
            values = function(values)
        return values

    return chained


def step_function(step: Any, names: Sequence[str]) -> StepFn:
    """One fitted step as a function over one row of its inputs (named ``names``)."""
    names = list(names)
    for kind, compiler in _COMPILERS:
        if isinstance(step, kind):
            return compiler(step, names)
    record_function = getattr(step, "record_function", None)
    if record_function is not None:
        by_name = record_function()
        return lambda values: by_name(dict(zip(names, values, strict=True)))
    return _one_row_transform(step, names)


def _imputer(step: SimpleImputer, names: list[str]) -> StepFn:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = pd.DataFrame([[math.nan] * len(names)], columns=names)
        fills = np.asarray(step.transform(probe), dtype=np.float64)[0]
    fill = [float(v) for v in fills]
    return lambda values: [f if v != v else v for v, f in zip(values, fill, strict=True)]


def _indicator(step: MissingIndicator, names: list[str]) -> StepFn:
    flagged = [int(i) for i in step.features_]
    return lambda values: [1.0 if values[i] != values[i] else 0.0 for i in flagged]


def _standard(step: StandardScaler, names: list[str]) -> StepFn:
    mean = [0.0] * len(names) if step.mean_ is None else [float(m) for m in step.mean_]
    scale = [1.0] * len(names) if step.scale_ is None else [float(s) for s in step.scale_]
    if step.with_mean and step.with_std:
        return lambda values: [(v - m) / s for v, m, s in zip(values, mean, scale, strict=True)]
    if step.with_mean:
        return lambda values: [v - m for v, m in zip(values, mean, strict=True)]
    return lambda values: [v / s for v, s in zip(values, scale, strict=True)]


def _robust(step: RobustScaler, names: list[str]) -> StepFn:
    center = list(step.center_) if step.with_centering else [0.0] * len(names)
    scale = list(step.scale_) if step.with_scaling else [1.0] * len(names)
    return lambda values: [(v - c) / s for v, c, s in zip(values, center, scale, strict=True)]


def _minmax(step: MinMaxScaler, names: list[str]) -> StepFn:
    scale, low = [float(s) for s in step.scale_], [float(m) for m in step.min_]
    lo, hi = step.feature_range
    if step.clip:
        return lambda values: [
            min(max(v * s + m, lo), hi) for v, s, m in zip(values, scale, low, strict=True)
        ]
    return lambda values: [v * s + m for v, s, m in zip(values, scale, low, strict=True)]


def _power(step: PowerTransformer, names: list[str]) -> StepFn:
    if step.standardize:
        return _one_row_transform(step, names)
    lambdas = [float(x) for x in step.lambdas_]
    if step.method == "box-cox":
        return lambda values: [
            float(special.boxcox(v, lam)) for v, lam in zip(values, lambdas, strict=True)
        ]
    return lambda values: [
        float(stats.yeojohnson(np.array([v]), lam)[0])
        for v, lam in zip(values, lambdas, strict=True)
    ]


def _bins(step: KBinsDiscretizer, names: list[str]) -> StepFn:
    inner = [list(edges[1:-1]) for edges in step.bin_edges_]
    widths = [int(n) for n in step.n_bins_]
    if step.encode == "ordinal":
        return lambda values: [
            float(bisect_right(e, v)) for v, e in zip(values, inner, strict=True)
        ]
    if step.encode != "onehot-dense":
        return _one_row_transform(step, names)

    def onehot(values: list[Any]) -> Row:
        out: Row = []
        for v, edges, width in zip(values, inner, widths, strict=True):
            block = [0.0] * width
            block[bisect_right(edges, v)] = 1.0
            out.extend(block)
        return out

    return onehot


def _one_row_transform(step: Any, names: list[str]) -> StepFn:
    def transform(values: list[Any]) -> Row:
        frame = pd.DataFrame([values], columns=names)
        try:
            return [float(x) for x in np.asarray(step.transform(frame), dtype=np.float64)[0]]
        except (TypeError, ValueError) as exc:
            raise FeatureError(f"Cannot make features from this record: {exc}") from None

    return transform


_COMPILERS: list[tuple[type, Callable[[Any, list[str]], StepFn]]] = [
    (SimpleImputer, _imputer),
    (MissingIndicator, _indicator),
    (StandardScaler, _standard),
    (RobustScaler, _robust),
    (MinMaxScaler, _minmax),
    (PowerTransformer, _power),
    (KBinsDiscretizer, _bins),
    (OneHotEncoder, category_table_function),
    (OrdinalEncoder, category_table_function),
    (TargetEncoder, category_table_function),
]

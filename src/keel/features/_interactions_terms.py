"""Terms of interactions (products and ratios of numeric columns) and the helpers that
`Interactions` and `AutoInteractions` share to read, fill and compute them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from typing import Any, Literal

import numpy as np
import pandas as pd

from keel.errors import FeatureError
from keel.features._contract import check_fitted

#: Below this absolute value a denominator counts as zero and the ratio is 0.0.
RATIO_EPSILON = 1e-12
_LARGEST = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class Term:
    """One output column: ``kind`` of the input columns at ``left`` and ``right``."""

    name: str
    kind: Literal["product", "ratio"]
    left: int
    right: int


def check_frame(X: Any, owner: str) -> None:
    if not isinstance(X, pd.DataFrame):
        raise FeatureError(
            f"{owner} takes a pandas DataFrame of raw columns. Got {type(X).__name__} instead.",
            field=owner,
        )


def numeric_matrix(
    X: pd.DataFrame,
    columns: Sequence[str],
    owner: str,
    settings: Mapping[str, str] | None = None,
) -> np.ndarray:
    """``X[columns]`` as float64 of shape (n_samples, n_columns), NaN where missing or infinite.

    ``settings`` maps a column to the setting that named it, for the error message.
    """
    settings = settings or {}
    matrix = np.empty((len(X), len(columns)))
    for j, column in enumerate(columns):
        if column not in X.columns:
            raise FeatureError(
                f"Column {column!r} is missing from the frame given to {owner} "
                f"(it has {list(map(str, X.columns))}).",
                field=owner,
            )
        matrix[:, j] = _numeric_column(X[column], column, owner, settings.get(column))
    return matrix


def _numeric_column(series: pd.Series, column: str, owner: str, setting: str | None) -> Any:
    dtype = series.dtype
    if pd.api.types.is_object_dtype(dtype):
        # Object columns come from records (a None makes one): the same scalar rule as
        # the record path, so both paths agree on what is a number.
        return [to_number(value, np.nan, column, owner) for value in series.to_numpy()]
    numeric = pd.api.types.is_numeric_dtype(dtype)
    if not numeric or pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        where = f"The {setting!r} setting of {owner} names" if setting else f"{owner} got"
        raise FeatureError(
            f"{where} column {column!r} of dtype {dtype}, which is not numeric: products "
            "and ratios need numbers (booleans, strings and dates are not).",
            field=f"{owner}.{setting}" if setting else owner,
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def to_number(value: Any, missing: float, column: str, owner: str) -> float:
    """One raw value as a finite float, or ``missing`` for None/NaN/NA/inf."""
    if value is None or value is pd.NA:
        return missing
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real | Decimal):
        raise FeatureError(
            f"{owner} needs a number for column {column!r}. Got {value!r} "
            f"({type(value).__name__}) instead.",
            field=owner,
        )
    try:
        number = float(value)
    except OverflowError:
        return missing
    return number if math.isfinite(number) else missing


def learn_medians(matrix: np.ndarray) -> np.ndarray:
    """Each column's median over its non-missing values; 0.0 for an all-missing column."""
    medians = np.zeros(matrix.shape[1])
    for j in range(matrix.shape[1]):
        present = matrix[:, j][~np.isnan(matrix[:, j])]
        if present.size:
            medians[j] = np.median(present)
    return medians


def fill_missing(matrix: np.ndarray, medians: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(matrix), medians, matrix)


def term_values(filled: np.ndarray, terms: Sequence[Term]) -> np.ndarray:
    """The terms over a filled matrix: shape (n_samples, len(terms)), finite float64."""
    out = np.empty((filled.shape[0], len(terms)))
    is_ratio = np.asarray([term.kind == "ratio" for term in terms], dtype=bool)
    left = filled[:, [term.left for term in terms]]
    right = filled[:, [term.right for term in terms]]
    with np.errstate(over="ignore"):
        out[:, ~is_ratio] = left[:, ~is_ratio] * right[:, ~is_ratio]
        den = right[:, is_ratio]
        ratios = np.zeros_like(den)
        np.divide(left[:, is_ratio], den, out=ratios, where=np.abs(den) > RATIO_EPSILON)
    out[:, is_ratio] = ratios
    return np.ascontiguousarray(np.clip(out, -_LARGEST, _LARGEST))


def term_record_function(
    columns: Sequence[str], medians: np.ndarray, terms: Sequence[Term], owner: str
) -> Callable[[Mapping[str, Any]], list[float]]:
    """A closure from one raw record to the terms' values, equal to `term_values`."""
    used = sorted({term.left for term in terms} | {term.right for term in terms})
    slot = {index: k for k, index in enumerate(used)}
    lookups = tuple((columns[i], float(medians[i])) for i in used)
    plan = tuple((term.kind == "ratio", slot[term.left], slot[term.right]) for term in terms)
    epsilon, largest = RATIO_EPSILON, _LARGEST

    # Hand-written for the serving hot path: a loop over precomputed slots runs in well
    # under a microsecond per term, where building even a one-row array costs several.
    def record(values_by_column: Mapping[str, Any]) -> list[float]:
        values = []
        for column, median in lookups:
            raw = values_by_column.get(column)
            if type(raw) is float and raw - raw == 0.0:
                values.append(raw)
            else:
                values.append(to_number(raw, median, column, owner))
        out = []
        for is_ratio, i, j in plan:
            a, b = values[i], values[j]
            value = (a / b if abs(b) > epsilon else 0.0) if is_ratio else a * b
            if value > largest:
                value = largest
            elif value < -largest:
                value = -largest
            out.append(value)
        return out

    return record


class TermOutputs:
    """The output side of a step whose outputs are ``terms_`` over ``columns_``, filled with
    ``medians_``: their names and the single-record function (shared by `Interactions` and
    `AutoInteractions`)."""

    columns_: list[str]
    medians_: np.ndarray
    terms_: tuple[Term, ...]
    _owner: str = "features.interactions"

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The term names (``a*b``, ``a/b``, ``a^2``) in output order; inputs are ignored."""
        check_fitted(self)
        return np.asarray([term.name for term in self.terms_], dtype=object)

    def record_function(self) -> Callable[[Mapping[str, Any]], list[float]]:
        """A function from one raw record to its output row, equal to `transform`'s."""
        check_fitted(self)
        return term_record_function(self.columns_, self.medians_, self.terms_, self._owner)

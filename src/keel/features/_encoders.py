"""The categorical encoders scikit-learn lacks, and two numeric column steps.

Categorical steps (`FrequencyEncoder`, `HashingEncoder`) accept values of any type by
reading them as strings: ``str(value)``, except that a float with an integral value is
written as an integer (``1.0`` -> ``"1"``, so an integer column that pandas turned into
floats because of a missing value keeps its categories) and numpy scalars are read as
their Python value (``np.True_`` -> ``"True"``). A missing value (``None``, NaN,
``pd.NA``, ``NaT``) stays missing:

- `FrequencyEncoder`: each category -> its share of the training rows (``normalize``) or
  its count; an unknown or missing category -> 0.0. Outputs ``<col>_freq``.
- `HashingEncoder`: every column's token ``"<col>=<value>"`` (``"<col>=<missing>"`` when
  missing) hashed into ``n_features`` counts with scikit-learn's ``FeatureHasher``
  (``alternate_sign=False``). Outputs ``hash_0`` .. ``hash_<n_features - 1>``.

Numeric steps (`QuantileClipper`, `Log1p`) read numbers and booleans (a string is a
`FeatureError`); they run after imputation, so NaN stays NaN rather than being filled.
Their outputs keep the input names, and they also offer ``vector_function`` to serve as
matrix steps:

- `QuantileClipper`: each column clipped to its training ``lower`` and ``upper`` quantiles.
- `Log1p`: ``log1p(x)``; fit refuses a column with a value <= -1, and at transform time a
  value <= -1 maps to ``log1p`` of the column's training minimum, so output stays finite.

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"plan": ["a", "a", "b", None]})
    >>> FrequencyEncoder().fit(X).transform(pd.DataFrame({"plan": ["a", "zzz"]})).tolist()
    [[0.5], [0.0]]
    >>> step = Log1p().fit(pd.DataFrame({"spend": [0.0, 9.0]}))
    >>> step.record_function()({"spend": -5.0})
    [0.0]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32

from keel.errors import FeatureError
from keel.features._contract import check_fitted, check_input_features, input_frame, is_missing

__all__ = ["FrequencyEncoder", "HashingEncoder", "Log1p", "QuantileClipper"]

Row = Callable[[list[float]], list[float]]


class FrequencyEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Each category -> its share (or count) in the training rows (module docstring).

    Args:
        normalize: shares of all training rows (missing ones included) when True, counts
            when False.
    """

    def __init__(self, normalize: bool = True):
        self.normalize = normalize

    def fit(self, X: pd.DataFrame, y: Any = None) -> FrequencyEncoder:
        if not isinstance(self.normalize, bool):
            _bad_setting(self, "normalize", "True or False", self.normalize)
        X = input_frame(self, X, fitted=False)
        if not len(X):
            raise FeatureError("FrequencyEncoder needs at least one row to fit. Got none.")
        scale = 1.0 / len(X) if self.normalize else 1.0
        self.frequencies_: list[dict[str, float]] = []
        for column in X.columns:
            counts = Counter(c for c in _categories(X[column]) if c is not None)
            self.frequencies_.append({c: n * scale for c, n in counts.items()})
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        X = input_frame(self, X, fitted=True)
        out = np.empty(X.shape, dtype=np.float64)
        for j, (column, table) in enumerate(zip(X.columns, self.frequencies_, strict=True)):
            out[:, j] = [table.get(c, 0.0) for c in _categories(X[column])]  # type: ignore[arg-type]
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_input_features(self, input_features)
        return np.asarray([f"{c}_freq" for c in self.feature_names_in_], dtype=object)

    def record_function(self) -> Callable[[Mapping[str, Any]], list[float]]:
        """One raw record to its output row, equal to ``transform`` on that one row."""
        check_fitted(self)
        columns = list(
            zip([str(c) for c in self.feature_names_in_], self.frequencies_, strict=True)
        )

        def features(record: Mapping[str, Any]) -> list[float]:
            return [t.get(_category(record.get(c)), 0.0) for c, t in columns]  # type: ignore[arg-type]

        return features

    def __sklearn_tags__(self) -> Any:
        return _categorical_tags(super().__sklearn_tags__())


class HashingEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """All its columns' ``"<col>=<value>"`` tokens hashed into counts (module docstring).

    Args:
        n_features: the number of hash buckets (outputs).
    """

    def __init__(self, n_features: int = 32):
        self.n_features = n_features

    def fit(self, X: pd.DataFrame, y: Any = None) -> HashingEncoder:
        n = self.n_features
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
            _bad_setting(self, "n_features", "an integer >= 1", n)
        input_frame(self, X, fitted=False)
        self.hasher_ = FeatureHasher(int(n), input_type="string", alternate_sign=False)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        X = input_frame(self, X, fitted=True)
        if not len(X):
            return np.zeros((0, self.hasher_.n_features), dtype=np.float64)
        tokens = [[_token(c, v) for v in _categories(X[c])] for c in X.columns]
        hashed = self.hasher_.transform(zip(*tokens, strict=True)).toarray()
        return np.ascontiguousarray(hashed, dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_input_features(self, input_features)
        return np.asarray([f"hash_{i}" for i in range(self.hasher_.n_features)], dtype=object)

    def record_function(self) -> Callable[[Mapping[str, Any]], list[float]]:
        """One raw record to its output row, equal to ``transform`` on that one row."""
        check_fitted(self)
        columns = [(str(c), f"{c}=", _token(str(c), None)) for c in self.feature_names_in_]
        n = self.hasher_.n_features

        def features(record: Mapping[str, Any]) -> list[float]:
            row = [0.0] * n
            for column, prefix, missing in columns:
                category = _category(record.get(column))
                token = missing if category is None else prefix + category
                # As FeatureHasher (sklearn/feature_extraction/_hashing_fast.pyx): signed
                # 32-bit MurmurHash3 of the UTF-8 token, seed 0, bucket abs(h) % n.
                row[abs(murmurhash3_32(token, seed=0)) % n] += 1.0
            return row

        return features

    def __sklearn_tags__(self) -> Any:
        tags = _categorical_tags(super().__sklearn_tags__())
        tags.requires_fit = True
        return tags


class _ElementwiseStep(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """A numeric step mapping each value on its own with per-column fitted state."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> _ElementwiseStep:
        self._check_settings()
        X = input_frame(self, X, fitted=False)
        self._fit_columns(_numbers(X, type(self).__name__))
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        X = input_frame(self, X, fitted=True)
        out = self._apply(_numbers(X, type(self).__name__))
        return np.ascontiguousarray(out, dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_input_features(self, input_features)
        return np.asarray(self.feature_names_in_, dtype=object)

    def record_function(self) -> Callable[[Mapping[str, Any]], list[float]]:
        """One raw record to its output row, equal to ``transform`` on that one row."""
        check_fitted(self)
        columns = [str(c) for c in self.feature_names_in_]
        row, name = self._row_function(), type(self).__name__
        return lambda record: row([_number(record.get(c), c, name) for c in columns])

    def vector_function(self) -> Callable[[list[float]], list[float]]:
        """One upstream row (floats in ``feature_names_in_`` order) to this step's row."""
        check_fitted(self)
        return self._row_function()

    def _check_settings(self) -> None:
        pass

    def _fit_columns(self, X: np.ndarray) -> None:
        raise NotImplementedError

    def _apply(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _row_function(self) -> Row:
        raise NotImplementedError

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class QuantileClipper(_ElementwiseStep):
    """Each numeric column clipped to its training quantiles (module docstring).

    Args:
        lower: the quantile of the lower bound, in [0, 1).
        upper: the quantile of the upper bound, in (lower, 1].
    """

    def __init__(self, lower: float = 0.01, upper: float = 0.99):
        self.lower = lower
        self.upper = upper

    def _check_settings(self) -> None:
        for name in ("lower", "upper"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                _bad_setting(self, name, "a number in [0, 1]", value)
        if not 0 <= self.lower < self.upper <= 1:
            _bad_setting(
                self, "lower", "a number in [0, 1] below 'upper'", (self.lower, self.upper)
            )

    def _fit_columns(self, X: np.ndarray) -> None:
        seen = ~np.isnan(X).all(axis=0)
        bounds = np.full((2, X.shape[1]), [[-np.inf], [np.inf]])
        if seen.any():
            bounds[:, seen] = np.nanquantile(X[:, seen], [self.lower, self.upper], axis=0)
        self.lower_bounds_, self.upper_bounds_ = bounds[0], bounds[1]

    def _apply(self, X: np.ndarray) -> np.ndarray:
        return np.clip(X, self.lower_bounds_, self.upper_bounds_)

    def _row_function(self) -> Row:
        bounds = list(zip(self.lower_bounds_.tolist(), self.upper_bounds_.tolist(), strict=True))
        # NaN compares false both ways, so it passes through as np.clip lets it.
        return lambda row: [
            lo if x < lo else (hi if x > hi else x) for x, (lo, hi) in zip(row, bounds, strict=True)
        ]


class Log1p(_ElementwiseStep):
    """``log1p`` of numeric columns holding values > -1 (module docstring)."""

    def _fit_columns(self, X: np.ndarray) -> None:
        seen = ~np.isnan(X).all(axis=0)
        self.minimums_ = np.zeros(X.shape[1])
        self.minimums_[seen] = np.nanmin(X[:, seen], axis=0)
        for column, smallest in zip(self.feature_names_in_, self.minimums_, strict=True):
            if smallest <= -1:
                raise FeatureError(
                    f"Column {column!r} of features.Log1p must hold values > -1 (log1p is "
                    f"undefined from -1 down). Its smallest value is {float(smallest)!r}.",
                    field=str(column),
                )
        self.floors_ = np.log1p(self.minimums_)

    def _apply(self, X: np.ndarray) -> np.ndarray:
        below = X <= -1
        return np.where(below, self.floors_, np.log1p(np.where(below, 0.0, X)))

    def _row_function(self) -> Row:
        floors = self.floors_.tolist()
        return lambda row: [
            f if x <= -1.0 else math.log1p(x) for x, f in zip(row, floors, strict=True)
        ]


def _category(value: Any) -> str | None:
    """A raw value as its category string; ``None`` when missing (module docstring)."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _categories(series: pd.Series) -> list[str | None]:
    return [_category(v) for v in series.to_numpy(dtype=object)]


def _token(column: str, category: str | None) -> str:
    return f"{column}=<missing>" if category is None else f"{column}={category}"


def _number(value: Any, column: str, step: str) -> float:
    if isinstance(value, float | int | np.integer | np.floating | np.bool_):
        return float(value)
    if is_missing(value):
        return math.nan
    raise FeatureError(
        f"Column {column!r} of features.{step} must hold numbers. Got {value!r} instead.",
        field=column,
    )


def _numbers(X: pd.DataFrame, step: str) -> np.ndarray:
    """The frame as float64, array of shape (n_samples, n_columns); NaN where missing."""
    out = np.empty(X.shape, dtype=np.float64)
    for j, column in enumerate(X.columns):
        series = X[column]
        if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series):
            out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            out[:, j] = [_number(v, column, step) for v in series.to_numpy(dtype=object)]
    return out


def _bad_setting(step: Any, name: str, expected: str, value: Any) -> NoReturn:
    raise FeatureError(
        f"The {name!r} setting of features.{type(step).__name__} must be {expected}. "
        f"Got {value!r} instead.",
        field=name,
    )


def _categorical_tags(tags: Any) -> Any:
    tags.input_tags.string = True
    tags.input_tags.categorical = True
    tags.input_tags.allow_nan = True
    return tags

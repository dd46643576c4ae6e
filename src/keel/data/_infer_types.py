"""A column's logical type, for schema inference: by its dtype, and for ``object`` columns by
what the values are."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from keel.data._infer_datetimes import _datetime_strings, _datetimes, _object_datetimes
from keel.data._infer_stats import (
    _booleans,
    _categories,
    _counts,
    _null_column,
    _numbers,
    _Result,
    _text,
    _top,
)
from keel.data._schema_model import ColumnSchema, LogicalType

CATEGORICAL_MAX_SHARE = 0.5
TEXT_MIN_MEAN_LENGTH = 50


class SchemaInferenceWarning(UserWarning):
    """A column was inferred with a decision the user may want to check."""


def _infer_column(name: str, series: pd.Series, max_categories: int) -> _Result:
    dtype = series.dtype
    if dtype.kind == "b":
        return _booleans(name, series), []
    if dtype.kind in "iuf":
        return _numbers(name, _number_values(series)), []
    if dtype.kind == "M":
        return _datetimes(name, series), []
    if isinstance(dtype, pd.CategoricalDtype):
        return _categories(name, series, max_categories)
    if _is_strings(dtype):
        return _strings(name, pa.array(series.array), max_categories)
    if dtype.kind == "O":
        return _objects(name, series, max_categories)
    return _text(name, series), [f"Column {name!r} has dtype {dtype}; it is kept as text."]


def _number_values(series: pd.Series) -> np.ndarray:
    """int64 for numpy integers (exact beyond 2**53), float64 with NaN for the rest."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype != np.uint64:
        return series.to_numpy().astype(np.int64, copy=False)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _strings(
    name: str, strings: pa.Array, max_categories: int, forced: LogicalType | None = None
) -> _Result:
    present = strings.drop_null()
    nulls = len(strings) - len(present)
    if not len(present) and forced is None:
        return _null_column(name, "text", nulls)
    if forced is None:
        found = _datetime_strings(name, strings, present)
        if found is not None:
            return found
    counts = pc.value_counts(present)
    stats = _counts(len(present), nulls, len(counts))
    mean_length = pc.mean(pc.utf8_length(present)).as_py() or 0.0
    repeats = len(counts) <= CATEGORICAL_MAX_SHARE * len(present)
    type_: LogicalType = forced or (
        "categorical" if repeats and mean_length <= TEXT_MIN_MEAN_LENGTH else "text"
    )
    if type_ != "categorical":
        return ColumnSchema(name=name, type=type_, nullable=nulls > 0, stats=stats), []
    categories, notes = _top(name, counts, max_categories)
    column = ColumnSchema(
        name=name, type="categorical", nullable=nulls > 0, categories=categories, stats=stats
    )
    return column, notes


def _objects(name: str, series: pd.Series, max_categories: int) -> _Result:
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "empty":
        return _null_column(name, "text", len(series))
    if kind == "string":
        return _strings(
            name, pa.array(series, from_pandas=True, type=pa.large_string()), max_categories
        )
    if kind == "boolean":
        return _booleans(name, series), []
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return _numbers(name, pd.to_numeric(series).to_numpy(np.float64, na_value=np.nan)), []
    if kind in ("datetime", "datetime64", "date"):
        return _object_datetimes(name, series)
    kinds = sorted({type(value).__name__ for value in series.dropna()})
    note = f"Column {name!r} mixes value types ({', '.join(kinds)}); it is kept as text."
    return _text(name, series), [note]


def _is_strings(dtype: Any) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    )

"""The raw inputs of lag features as arrays: entity keys, time keys and numeric values.

Batch (a DataFrame column) and single record (one raw value) give the same keys, so a
record finds the history a batch would:

- **Entity keys**: numpy scalars become Python values and integral floats become ints,
  so ``7``, ``7.0`` and ``np.int64(7)`` are one entity whatever dtype a frame gave the
  column. ``None``, NaN, ``pd.NA`` and ``NaT`` are missing.
- **Time keys** are float seconds since 1970-01-01 (UTC for tz-aware values; naive ones
  taken as they are) for datetimes, and the number itself for a numeric time column.
  Seconds are ``whole + fraction`` of the exact nanosecond count, computed the same way on
  both paths, so the two agree to the bit; sub-microsecond differences may tie.
- **Values** are float64; missing and infinite values are NaN.

Example:
    >>> import pandas as pd
    >>> entity_key(7.0), time_key(pd.Timestamp("1970-01-02"), "t")
    (7, (86400.0, 'datetime'))
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_bool_dtype, is_numeric_dtype, is_object_dtype

from keel.errors import FeatureError

__all__ = ["entity_codes", "entity_key", "numeric_values", "time_key", "time_keys"]

_NS = 10**9
_NA = pd.NA
_NAT = pd.NaT
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NUMERIC = {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"}
_DATES = {"datetime", "datetime64", "date"}


def entity_key(value: Any) -> Hashable | None:
    """One raw entity value as the key histories use; None when missing."""
    if value is None or value is _NA or value is _NAT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            return int(value)
    return value  # type: ignore[no-any-return]


def entity_codes(column: pd.Series) -> tuple[np.ndarray, list[Hashable]]:
    """A code per row (-1 when missing) into the list of distinct entity keys."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    index: dict[Hashable, int] = {}
    remap = np.empty(len(uniques) + 1, dtype=np.int64)
    remap[-1] = -1  # a missing value's code, -1, reads the last slot
    for i, unique in enumerate(uniques):
        key = entity_key(unique)
        remap[i] = -1 if key is None else index.setdefault(key, len(index))
    return remap[codes], list(index)


def time_keys(column: pd.Series, name: str) -> tuple[np.ndarray, str | None]:
    """Float seconds (NaN when missing) and the column's kind: "datetime", "numeric",
    or None when every value is missing."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype.kind == "M":
        return _datetime_seconds(column, name)
    if is_numeric_dtype(dtype) and not is_bool_dtype(dtype):
        seconds = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return seconds, ("numeric" if not np.isnan(seconds).all() else None)
    inferred = infer_dtype(column, skipna=True) if is_object_dtype(dtype) else ""
    if inferred == "empty":
        return np.full(len(column), np.nan), None
    if inferred in _DATES:
        try:
            parsed = pd.Series(pd.to_datetime(column.to_numpy()))
        except (TypeError, ValueError):  # naive and tz-aware values mixed
            raise _unsortable(name, column.dropna().iloc[:2].tolist()) from None
        return _datetime_seconds(parsed, name)
    if inferred in ("integer", "floating", "mixed-integer-float"):
        return time_keys(column.astype(np.float64), name)
    raise _unsortable(name, column.dropna().iloc[:1].tolist())


def _datetime_seconds(column: pd.Series, name: str) -> tuple[np.ndarray, str | None]:
    index = pd.DatetimeIndex(column)
    try:
        ns = index.as_unit("ns").asi8
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise FeatureError(
            f"The time column {name!r} of features.lags holds a datetime outside "
            "1677-2262, which nanosecond time keys cannot hold.",
            field=name,
        ) from None
    seconds = (ns // _NS).astype(np.float64) + (ns % _NS).astype(np.float64) / 1e9
    missing = np.asarray(index.isna())
    seconds[missing] = np.nan
    return seconds, ("datetime" if not missing.all() else None)


def time_key(value: Any, name: str) -> tuple[float, str] | None:
    """One raw time value as (float seconds, kind); None when missing."""
    if value is None or value is _NA or value is _NAT:
        return None
    if isinstance(value, datetime):
        if isinstance(value, pd.Timestamp):
            ns = int(value.as_unit("ns").value)
        else:
            epoch = _EPOCH if value.tzinfo is None else _EPOCH_UTC
            ns = (value - epoch) // _MICROSECOND * 1000
        return float(ns // _NS) + float(ns % _NS) / 1e9, "datetime"
    if isinstance(value, date):
        return time_key(datetime(value.year, value.month, value.day), name)
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else time_key(pd.Timestamp(value), name)
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        seconds = float(value)
        return None if seconds != seconds else (seconds, "numeric")
    raise _unsortable(name, [value])


def _unsortable(name: str, example: list[Any]) -> FeatureError:
    return FeatureError(
        f"The time column {name!r} of features.lags must hold datetimes or numbers, so "
        f"rows can be ordered. Got values such as {example!r} instead.",
        field=name,
    )


def numeric_values(column: pd.Series, name: str) -> np.ndarray:
    """A numeric column as float64, missing and infinite values as NaN."""
    dtype = column.dtype
    numeric = is_numeric_dtype(dtype) or infer_dtype(column, skipna=True) in _NUMERIC
    if not numeric or isinstance(dtype, pd.CategoricalDtype):
        example = column.dropna().iloc[:1].tolist()
        raise FeatureError(
            f"The 'columns' setting of features.lags must name numeric columns. Column "
            f"{name!r} has dtype {dtype} (values such as {example!r}).",
            field=name,
        )
    values = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values

"""One canonical form for input values, shared by the batch path and the single-record path,
so that the two can never disagree about what a value is.

Numeric and boolean columns become float64 (missing is NaN). Categorical values become
strings: integral numbers lose their ``.0`` (so ``3``, ``3.0`` and ``"3"`` are one
category), booleans are ``"True"``/``"False"``, and a missing value is the category
``"<missing>"``, which the encoders treat like any other (a rare one goes to the rare
bucket).

Example:
    >>> category_text(3.0), category_text(None), category_text(True)
    ('3', '<missing>', 'True')
    >>> number(None), number("2.5")
    (nan, 2.5)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import FeatureError

__all__ = ["MISSING", "category_column", "category_text", "number", "numeric_column"]

MISSING = "<missing>"


def category_text(value: Any) -> str:
    """The canonical category of one raw value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return MISSING
        return str(int(value)) if float(value).is_integer() else str(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def number(value: Any, column: str = "value") -> float:
    """One raw value as a float; None and NaN are NaN.

    Raises:
        FeatureError: the value is not a number (names the column and the value).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FeatureError(
            f"The value of {column!r} must be a number. Got {value!r} instead.", field=column
        ) from None


def numeric_column(series: pd.Series) -> np.ndarray:
    """A numeric or boolean column as float64; a value that is not a number is an error."""
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        bad = _first_non_number(series)
        raise FeatureError(
            f"Column {series.name!r} must hold numbers. Got {bad!r} instead.",
            field=str(series.name),
        ) from None


def _first_non_number(series: pd.Series) -> Any:
    for value in series:
        try:
            number(value)
        except FeatureError:
            return value
    return None


def category_column(series: pd.Series) -> np.ndarray:
    """A column as an object array of canonical category strings."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return np.where(series.to_numpy(dtype=bool), "True", "False").astype(object)
    if pd.api.types.is_integer_dtype(dtype) and not series.hasnans:
        return series.astype(str).to_numpy(dtype=object)
    if isinstance(dtype, pd.StringDtype):
        return series.to_numpy(dtype=object, na_value=MISSING)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series.astype(object).where(series.notna(), MISSING).to_numpy(dtype=object)
    return np.array([category_text(value) for value in series], dtype=object)

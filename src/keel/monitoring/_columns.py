"""A frame's column as drift statistics want it: numeric values as float64 without nulls
(datetimes as epoch seconds, booleans as categories), categories as strings with counts.

Conversion happens once per column and never row by row: pandas and numpy do the work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from keel.errors import MonitoringError

if TYPE_CHECKING:
    from collections.abc import Collection

Kind = Literal["numeric", "categorical"]


def kind_of(values: pd.Series, categorical: Collection[str] = ()) -> Kind:
    """``numeric`` for numbers and datetimes, ``categorical`` for the rest (booleans too)."""
    if values.name in categorical or pd.api.types.is_bool_dtype(values.dtype):
        return "categorical"
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "numeric"
    return "categorical"


def numeric_values(values: pd.Series) -> tuple[np.ndarray, int]:
    """The non-null values as float64 (datetimes as epoch seconds) and the null count."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values.dropna()
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        array = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
        return array, len(values) - len(array)
    try:
        array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        example = next((v for v in values.dropna() if not isinstance(v, int | float)), None)
        raise MonitoringError(
            f"The column {values.name!r} is numeric in the reference but holds "
            f"non-numeric values here (such as {example!r}). Compare it as a category "
            "(categorical=[...]) or fix the data.",
            field=str(values.name),
        ) from None
    finite = np.isfinite(array)  # ±inf has no distance: counted as null
    if finite.all():
        return array, 0
    kept = array[finite]
    return kept, len(array) - len(kept)


def category_counts(values: pd.Series) -> tuple[dict[str, int], int]:
    """Counts per category (as strings) and the null count."""
    counts = values.value_counts(dropna=True, sort=False)
    nulls = len(values) - int(counts.sum())
    merged: dict[str, int] = {}
    for key, count in zip(counts.index, counts.to_numpy(), strict=True):
        name = str(key)
        merged[name] = merged.get(name, 0) + int(count)
    return merged, nulls

"""A column parsed for checking (``_Parsed``), the value-by-value parser every column can
fall back to, and the mask helpers the per-type parsers share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from keel.data._scalars import BAD, coercer, is_null
from keel.data._schema_model import ColumnSchema


class _Parsed(NamedTuple):
    """A column parsed for checking. Masks are None where nothing is set."""

    null: np.ndarray | None
    bad: np.ndarray | None
    #: numbers to range-check (float64/int64); for datetimes integer units since the epoch
    values: np.ndarray | None = None
    #: nanoseconds per unit of ``values`` for datetimes
    unit_ns: int = 0
    unseen: np.ndarray | None = None


def _parse_objects(series: pd.Series, column: ColumnSchema) -> _Parsed:
    """Value by value with the record validator's rules: exact, for the columns no
    vectorized path understands (mixed ``object`` columns, odd dtypes)."""
    coerce = coercer(column)
    objects = series.to_numpy(dtype=object)
    coerced = [None if is_null(v) else coerce(v) for v in objects]
    null = np.fromiter((c is None for c in coerced), bool, len(coerced))
    bad = np.fromiter((c is BAD for c in coerced), bool, len(coerced))
    if column.type in ("categorical", "text"):
        known = column.categories or {}
        unseen = None
        if column.type == "categorical":
            unseen = np.fromiter(
                (type(c) is str and c not in known for c in coerced), bool, len(coerced)
            )
        return _Parsed(
            _nonzero_or_none(null), _nonzero_or_none(bad), unseen=_nonzero_or_none(unseen)
        )
    if column.type == "datetime":
        # Python ints: exact ns, also beyond int64 (years past 2262)
        values = np.array([c if type(c) is int else 0 for c in coerced], dtype=object)
        return _Parsed(_nonzero_or_none(null), _nonzero_or_none(bad), values)
    values = np.array([c if type(c) is float else np.nan for c in coerced], dtype=np.float64)
    return _Parsed(_nonzero_or_none(null), _nonzero_or_none(bad), values)


def _either(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    return a | b


def _nonzero_or_none(mask: np.ndarray | None) -> np.ndarray | None:
    return mask if mask is not None and mask.any() else None


def _fill(result: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def _is_strings(dtype: Any) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    )


def _all_strings(values: Sequence[Any]) -> bool:
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")

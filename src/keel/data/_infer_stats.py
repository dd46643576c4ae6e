"""A column's statistics and categories, for schema inference: one sort per numeric column
gives min, max, percentiles and the number of distinct values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from keel.data._schema_model import ColumnSchema, LogicalType

_QUANTILES = (("p01", 0.01), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p99", 0.99))


_Result = tuple[ColumnSchema, list[str]]


def _null_column(name: str, type_: LogicalType, nulls: int) -> _Result:
    stats = {"count": 0.0, "null_count": float(nulls), "n_unique": 0.0}
    return ColumnSchema(name=name, type=type_, nullable=True, stats=stats), []


def _numbers(name: str, values: np.ndarray, forced: LogicalType | None = None) -> ColumnSchema:
    """From float64 (NaN = null) or int64 values."""
    null_count = 0
    if values.dtype.kind == "f":
        present = ~np.isnan(values)
        null_count = len(values) - int(np.count_nonzero(present))
        if null_count:
            values = values[present]
    ordered = np.sort(values)
    finite = ordered
    if ordered.dtype.kind == "f":
        finite = ordered[
            np.searchsorted(ordered, -np.inf, "right") : np.searchsorted(ordered, np.inf)
        ]
    whole = ordered.dtype.kind in "iu" or (
        len(finite) == len(ordered) and bool(np.array_equal(finite, np.trunc(finite)))
    )
    type_: LogicalType = forced or ("integer" if whole and len(ordered) else "numeric")
    stats = _counts(len(ordered), null_count, _n_unique(ordered)) | _spread(finite)
    low, high = (float(finite[0]), float(finite[-1])) if len(finite) else (None, None)
    return ColumnSchema(
        name=name,
        type=type_,
        nullable=null_count > 0,
        observed_min=low,
        observed_max=high,
        stats=stats,
    )


def _counts(count: int, null_count: int, n_unique: int) -> dict[str, float]:
    return {"count": float(count), "null_count": float(null_count), "n_unique": float(n_unique)}


def _n_unique(ordered: np.ndarray) -> int:
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if len(ordered) else 0


def _spread(ordered: np.ndarray, *, scale: float = 1.0) -> dict[str, float]:
    """mean, std, min, percentiles (numpy's linear method) and max of sorted finite values."""
    n = len(ordered)
    if not n:
        return {}
    stats = {"mean": float(np.mean(ordered)) * scale}
    if n > 1:
        stats["std"] = float(np.std(ordered, ddof=1)) * scale
    stats["min"] = float(ordered[0]) * scale
    for key, q in _QUANTILES:
        h = (n - 1) * q
        i = math.floor(h)
        low, high = float(ordered[i]), float(ordered[min(i + 1, n - 1)])
        stats[key] = (low + (h - i) * (high - low)) * scale
    stats["max"] = float(ordered[-1]) * scale
    return {k: v for k, v in stats.items() if math.isfinite(v)}  # JSON has no inf/NaN


def _booleans(name: str, series: pd.Series) -> ColumnSchema:
    present = series.dropna()
    trues = int(np.count_nonzero(present.to_numpy(dtype=bool)))
    count, nulls = len(present), len(series) - len(present)
    stats = _counts(count, nulls, int(trues > 0) + int(trues < count))
    if count:
        stats["mean"] = trues / count
    categories = {"false": count - trues, "true": trues}
    return ColumnSchema(
        name=name, type="boolean", nullable=nulls > 0, categories=categories, stats=stats
    )


def _top(
    name: str, counts: pa.StructArray, max_categories: int
) -> tuple[dict[str, int], list[str]]:
    table = pa.table({"value": counts.field("values"), "count": counts.field("counts")})
    table = table.sort_by([("count", "descending"), ("value", "ascending")])
    kept = table.slice(0, max_categories)
    notes = []
    if len(table) > max_categories:
        notes.append(
            f"Column {name!r} has {len(table):,} categories; the schema keeps the "
            f"{max_categories:,} most frequent and the others will validate as unseen."
        )
    values = kept.column("value").to_pylist()
    return dict(zip(values, kept.column("count").to_pylist(), strict=True)), notes


def _categories(name: str, series: pd.Series, max_categories: int) -> _Result:
    counts = series.value_counts(sort=False, dropna=True)
    names = pa.array([str(value) for value in counts.index], pa.large_string())
    struct = pa.StructArray.from_arrays(
        [names, pa.array(counts.to_numpy(), pa.int64())], ["values", "counts"]
    )
    categories, notes = _top(name, struct, max_categories)
    nulls = int(series.isna().sum())
    stats = _counts(len(series) - nulls, nulls, int(np.count_nonzero(counts.to_numpy())))
    column = ColumnSchema(
        name=name, type="categorical", nullable=nulls > 0, categories=categories, stats=stats
    )
    return column, notes


def _text(name: str, series: pd.Series) -> ColumnSchema:
    nulls = int(series.isna().sum())
    try:
        n_unique = int(series.nunique())
    except TypeError:  # unhashable values (lists, dicts)
        n_unique = int(series.dropna().astype(str).nunique())
    stats = _counts(len(series) - nulls, nulls, n_unique)
    return ColumnSchema(name=name, type="text", nullable=nulls > 0, stats=stats)

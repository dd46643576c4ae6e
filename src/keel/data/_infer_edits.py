"""Keeping a user's edits of a previous schema when inferring a new one: pinned types,
roles, allowed ranges and ``nullable=True``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

from keel.data._infer_datetimes import _datetimes
from keel.data._infer_stats import _booleans, _numbers
from keel.data._infer_types import SchemaInferenceWarning, _is_strings, _strings
from keel.data._scalars import coerce_boolean, is_null
from keel.data._schema_model import ColumnSchema, Role, Schema


def _keep_edits(
    columns: list[ColumnSchema],
    previous: Schema,
    frame: pd.DataFrame,
    roles: dict[str, Role],
    max_categories: int,
) -> list[ColumnSchema]:
    old = {column.name: column for column in previous.columns}
    for name in old.keys() - set(frame.columns):
        warnings.warn(
            f"Column {name!r} of the previous schema is not in the data; it is dropped.",
            SchemaInferenceWarning,
            stacklevel=3,
        )
    claimed = set(roles.values())
    merged = []
    for column in columns:
        before = old.get(column.name)
        if before is None:
            merged.append(column)
            continue
        if before.pinned and before.type != column.type:
            column = _as_pinned(frame[column.name], before, max_categories)
        role = roles.get(column.name) or (
            "feature" if before.role in claimed else before.role  # an argument moved it
        )
        update = {
            "pinned": before.pinned,
            "role": role,
            "allowed_min": before.allowed_min,
            "allowed_max": before.allowed_max,
            "nullable": column.nullable or before.nullable,
        }
        merged.append(column.model_copy(update=update))
    return merged


def _as_pinned(series: pd.Series, pinned: ColumnSchema, max_categories: int) -> ColumnSchema:
    """Profile ``series`` as the pinned type; values that do not fit count as nulls."""
    type_ = pinned.type
    if type_ in ("numeric", "integer"):
        column = _numbers(
            series.name,
            pd.to_numeric(series, errors="coerce").to_numpy(np.float64, na_value=np.nan),
            forced=type_,
        )
    elif type_ == "boolean":
        coerced = [None if is_null(v) else coerce_boolean(v) for v in series]
        numbers = pd.Series([v if isinstance(v, float) else None for v in coerced], dtype="boolean")
        column = _booleans(series.name, numbers)
    elif type_ == "datetime":
        stamps = pd.to_datetime(
            series,
            errors="coerce",
            utc=pinned.timezone is not None,
            format="ISO8601" if _is_strings(series.dtype) else None,
        )
        column = _datetimes(series.name, stamps)
    else:
        texts = pa.array([None if is_null(v) else str(v) for v in series], pa.large_string())
        column = _strings(series.name, texts, max_categories, forced=type_)[0]
    lost = int(column.stats.get("null_count", 0)) - int(series.isna().sum())
    if lost:
        warnings.warn(
            f"Column {series.name!r} is pinned to {type_}; {lost:,} of its values are not "
            f"{type_} and count as nulls.",
            SchemaInferenceWarning,
            stacklevel=4,
        )
    return column

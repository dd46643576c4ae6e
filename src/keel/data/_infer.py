"""Infer a schema from a DataFrame: each column's logical type, nullability, observed range,
categories and statistics, vectorized (one sort per numeric column gives min, max,
percentiles and the number of distinct values).

Type rules, by the column's dtype:

- ``bool``/``boolean`` -> boolean. Any integer dtype -> integer.
- float -> integer when every non-null value is finite and whole (ints stored as float
  because of NaN), else numeric.
- datetime64 -> datetime; its timezone is kept in ``timezone`` (IANA name, ``UTC`` or an
  offset such as ``+02:00``).
- strings (``str``/``string``): datetime when every value is an ISO 8601 date or date-time
  that parses (all with an offset -> aware; a single offset is kept, several are converted
  to UTC; some with and some without -> text, with a warning). Otherwise categorical when
  values repeat (distinct values at most ``CATEGORICAL_MAX_SHARE`` of the non-null values)
  and are short (mean length at most ``TEXT_MIN_MEAN_LENGTH``), else text. Strings of
  digits stay strings (``"01234"`` is a code, not a number).
- ``category`` -> categorical (category names as strings).
- ``object``: by what the values are: all strings, bools, ints, floats/decimals or
  datetimes are treated as above (datetimes of several zones -> aware, converted to UTC);
  a mix of kinds (``[1, "a"]``) -> text, with a ``SchemaInferenceWarning``.
- all values null -> the dtype's type (numeric for float, text for object/str) with role
  ``ignore`` (nothing to learn from), with a warning.

Categories keep the ``max_categories`` most frequent values (ties by value) with their
counts; when there are more, a warning says so and the rest validate as unseen
categories. Statistics (``count``, ``null_count``, ``n_unique``, ``mean``, ``std``,
``min``, ``p01``..``p99``, ``max``) and the observed range describe the finite values;
infinities count in ``count`` only. Datetime statistics are epoch seconds.

Roles: ``target``/``timestamp``/``entity`` as given. A column named like an id (``id``,
``*_id``, ``*Id``, ``uuid``) whose integer or string values are unique and non-null in
every row gets role ``id`` (not a model input). Everything else is a feature.

``previous`` keeps what a user edited: a pinned type (the column is profiled as that type),
roles, allowed ranges, and ``nullable=True``; explicit arguments win over it.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from keel.data._record import DATETIME_PATTERN, TZ_SUFFIX_PATTERN, coerce_boolean, is_null
from keel.data._schema_model import ColumnSchema, LogicalType, Role, Schema
from keel.errors import SchemaError

__all__ = [
    "CATEGORICAL_MAX_SHARE",
    "MAX_CATEGORIES",
    "TEXT_MIN_MEAN_LENGTH",
    "SchemaInferenceWarning",
    "infer_schema",
]

MAX_CATEGORIES = 1000
CATEGORICAL_MAX_SHARE = 0.5
TEXT_MIN_MEAN_LENGTH = 50
_QUANTILES = (("p01", 0.01), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p99", 0.99))
_ID_NAME = re.compile(r"(?i:id|uuid|guid|.*[_\- ](?:id|uuid))|.*[a-z0-9]Id")
_DATETIME = re.compile(DATETIME_PATTERN)


class SchemaInferenceWarning(UserWarning):
    """A column was inferred with a decision the user may want to check."""


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    timestamp: str | None = None,
    entity: str | None = None,
    previous: Schema | None = None,
    source: str | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> Schema:
    """The schema of ``frame`` (rules in the module docstring).

    Args:
        frame: the training data.
        target, timestamp, entity: the columns with these roles.
        previous: a schema to keep user edits from (pinned types, roles, allowed ranges).
        source: where the data came from, kept in the schema.
        max_categories: how many of the most frequent categories to keep per column.

    Raises:
        SchemaError: a named column is missing, a column name is not a string or appears
            twice, or the timestamp column does not hold datetimes.

    Example:
        >>> frame = pd.DataFrame({"user_id": [1, 2, 3, 4], "spend": [9.5, None, 3.0, 1.0],
        ...                       "plan": ["a", "b", "a", "a"], "churned": [0, 1, 0, 0]})
        >>> schema = infer_schema(frame, target="churned")
        >>> [(c.name, c.type, c.role) for c in schema.columns]  # doctest: +NORMALIZE_WHITESPACE
        [('user_id', 'integer', 'id'), ('spend', 'numeric', 'feature'),
         ('plan', 'categorical', 'feature'), ('churned', 'integer', 'target')]
    """
    _check_names(frame)
    roles = _explicit_roles(frame, target=target, timestamp=timestamp, entity=entity)
    results = _map(lambda name: _infer_column(name, frame[name], max_categories), frame.columns)
    columns = []
    for column, notes in results:
        column = _with_role(column, roles.get(column.name), len(frame))
        if column.role == "ignore" and column.name not in roles:
            nulls = f"all {len(frame):,} are null"
            notes = [f"Column {column.name!r} has no values ({nulls}); its role is 'ignore'."]
        for note in notes:
            warnings.warn(note, SchemaInferenceWarning, stacklevel=2)
        columns.append(column)
    if previous is not None:
        columns = _keep_edits(columns, previous, frame, roles, max_categories)
    _check_timestamp(columns, timestamp)
    return Schema(columns=columns, row_count=len(frame), source=source)


def _map(function: Any, names: Sequence[Any]) -> list[Any]:
    # np.sort and pyarrow release the GIL: two threads halve inference on 2 cores (measured:
    # 1M x 50 in 1.3 s instead of 2.5 s).
    workers = min(len(names), os.cpu_count() or 1)
    if workers <= 1:
        return [function(name) for name in names]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, names))


def _check_names(frame: pd.DataFrame) -> None:
    odd = [name for name in frame.columns if not isinstance(name, str) or not name]
    if odd:
        raise SchemaError(
            f"Column names must be non-empty strings. Got {odd[0]!r} instead; rename the "
            "columns, e.g. frame.columns = frame.columns.astype(str)."
        )
    if not frame.columns.is_unique:
        twice = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise SchemaError(f"Column names must be unique; these appear twice: {', '.join(twice)}.")


def _explicit_roles(frame: pd.DataFrame, **named: str | None) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for role, name in named.items():
        if name is None:
            continue
        if name not in frame.columns:
            raise SchemaError(
                f"The {role} column {name!r} is not in the data; its columns: "
                f"{', '.join(map(str, frame.columns))}."
            )
        if name in roles:
            raise SchemaError(f"Column {name!r} cannot be both {roles[name]} and {role}.")
        roles[name] = role  # type: ignore[assignment]
    return roles


def _with_role(column: ColumnSchema, role: Role | None, n_rows: int) -> ColumnSchema:
    if role is None:
        if column.stats.get("count", 0) == 0 and n_rows:
            role = "ignore"
        elif _looks_like_id(column, n_rows):
            role = "id"
        else:
            return column
    return column.model_copy(update={"role": role})


def _looks_like_id(column: ColumnSchema, n_rows: int) -> bool:
    stats = column.stats
    return (
        n_rows > 1
        and column.type in ("integer", "categorical", "text")
        and stats.get("n_unique") == n_rows
        and stats.get("null_count") == 0
        and _ID_NAME.fullmatch(column.name) is not None
    )


def _check_timestamp(columns: list[ColumnSchema], timestamp: str | None) -> None:
    for column in columns:
        if column.name == timestamp and column.type != "datetime":
            raise SchemaError(
                f"The timestamp column {timestamp!r} must hold datetimes (datetime64 values "
                f"or ISO 8601 strings); its values look {column.type}. Convert it with "
                "pd.to_datetime, or pin its type to datetime in the schema."
            )


# --- one column ---------------------------------------------------------------------------

_Result = tuple[ColumnSchema, list[str]]


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


def _datetimes(name: str, series: pd.Series) -> ColumnSchema:
    unit, tz = series.dt.unit, series.dt.tz
    stamps = series.to_numpy(dtype=f"datetime64[{unit}]")  # UTC wall time when aware
    present = ~np.isnat(stamps)
    ordered = np.sort(stamps[present].view(np.int64))
    seconds_per_unit = np.timedelta64(1, unit) / np.timedelta64(1, "s")
    nulls = len(stamps) - len(ordered)
    stats = _counts(len(ordered), nulls, _n_unique(ordered)) | _spread(
        ordered, scale=seconds_per_unit
    )
    stats.pop("std", None)
    low = high = None
    if len(ordered):
        low, high = (_iso(int(ordered[i]), unit, tz) for i in (0, -1))
    return ColumnSchema(
        name=name,
        type="datetime",
        nullable=nulls > 0,
        observed_min=low,
        observed_max=high,
        timezone=None if tz is None else _tz_name(tz),
        stats=stats,
    )


def _iso(value: int, unit: str, tz: Any) -> str:
    stamp = pd.Timestamp(value, unit=unit)
    return (stamp if tz is None else stamp.tz_localize("UTC").tz_convert(tz)).isoformat()


def _tz_name(tz: Any) -> str:
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)  # zoneinfo, pytz
    if key:
        return str(key)
    try:
        offset = tz.utcoffset(None)
    except (TypeError, ValueError):
        offset = None
    if offset is None:
        return str(tz)
    return "UTC" if offset == timedelta(0) else _offset_text(offset)


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


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


def _datetime_strings(name: str, strings: pa.Array, present: pa.Array) -> _Result | None:
    """A datetime column when every value is an ISO 8601 string that parses, else None."""
    sample = present.slice(0, 1000).to_pylist()
    if not sample or not all(_DATETIME.fullmatch(value) for value in sample):
        return None
    if not pc.all(pc.match_substring_regex(present, f"^(?:{DATETIME_PATTERN})$")).as_py():
        return None
    zoned = int(pc.sum(pc.match_substring_regex(present, TZ_SUFFIX_PATTERN)).as_py() or 0)
    if 0 < zoned < len(present):
        note = (
            f"Column {name!r} mixes datetimes with and without a UTC offset "
            f"({zoned:,} of {len(present):,} have one); it is kept as text."
        )
        stats = _counts(len(present), len(strings) - len(present), len(pc.unique(present)))
        return ColumnSchema(
            name=name, type="text", nullable=len(strings) > len(present), stats=stats
        ), [note]
    text = pd.Series(strings.to_numpy(zero_copy_only=False), dtype=object)
    stamps = pd.to_datetime(text, format="ISO8601", utc=bool(zoned), errors="coerce")
    if int(stamps.isna().sum()) > len(strings) - len(present):
        return None  # shaped like dates, but some are not (2024-02-30)
    if zoned:
        offsets = pc.unique(pc.extract_regex(present, f"(?P<tz>{TZ_SUFFIX_PATTERN})").field("tz"))
        if len(offsets) == 1 and offsets[0].as_py() not in ("Z", "+00:00", "-00:00"):
            hours, minutes = offsets[0].as_py().split(":")
            sign = -1 if hours.startswith("-") else 1
            offset = sign * timedelta(hours=abs(int(hours)), minutes=int(minutes))
            stamps = stamps.dt.tz_convert(timezone(offset))
    return _datetimes(name, stamps), []


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


def _object_datetimes(name: str, series: pd.Series) -> _Result:
    present = series.dropna()
    zones = {getattr(value, "tzinfo", None) for value in present}
    aware = {zone is not None for zone in zones}
    if len(aware) > 1:
        note = f"Column {name!r} mixes naive and timezone-aware datetimes; it is kept as text."
        return _text(name, series), [note]
    stamps = pd.to_datetime(series, utc=True in aware)
    if True in aware and len({_tz_name(zone) for zone in zones}) == 1:
        stamps = stamps.dt.tz_convert(zones.pop())  # one zone (pytz has one object per DST)
    return _datetimes(name, stamps), []


def _text(name: str, series: pd.Series) -> ColumnSchema:
    nulls = int(series.isna().sum())
    try:
        n_unique = int(series.nunique())
    except TypeError:  # unhashable values (lists, dicts)
        n_unique = int(series.dropna().astype(str).nunique())
    stats = _counts(len(series) - nulls, nulls, n_unique)
    return ColumnSchema(name=name, type="text", nullable=nulls > 0, stats=stats)


def _is_strings(dtype: Any) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    )


# --- keeping a user's edits -----------------------------------------------------------------


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

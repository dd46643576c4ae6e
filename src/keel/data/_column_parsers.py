"""The batch validator's parsers, one per logical type: a column into null and bad-type masks
and the numbers to range-check, vectorized where the dtype allows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from keel.data._parsed import (
    _all_strings,
    _either,
    _fill,
    _is_strings,
    _nonzero_or_none,
    _parse_objects,
    _Parsed,
)
from keel.data._scalars import (
    DATETIME_PATTERN,
    FALSE_STRINGS,
    NUMBER_PATTERN,
    TRUE_STRINGS,
    TZ_SUFFIX_PATTERN,
)
from keel.data._schema_model import ColumnSchema


def _parse_number(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    if dtype.kind in "fiu":
        values = _float_or_int(series)
        null = np.isnan(values) if values.dtype.kind == "f" else None
    elif dtype.kind == "b":
        null = _nonzero_or_none(series.isna().to_numpy())
        return _Parsed(null, ~null if null is not None else np.ones(len(series), bool))
    elif _is_strings(dtype):
        strings = pa.array(series.array)
        matches = _fill(pc.match_substring_regex(strings, f"^(?:{NUMBER_PATTERN})$"))
        null = _nonzero_or_none(strings.is_null().to_numpy(zero_copy_only=False))
        values = pc.cast(pc.if_else(pa.array(matches), strings, None), pa.float64())
        values = values.to_numpy(zero_copy_only=False)
        bad = ~matches if null is None else ~matches & ~null
        return _integral(_Parsed(null, _nonzero_or_none(bad), values), column)
    else:
        return _parse_objects(series, column)
    return _integral(_Parsed(_nonzero_or_none(null), None, values), column)


def _float_or_int(series: pd.Series) -> np.ndarray:
    """float64 or int64 without a copy where possible (other widths compare differently)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype in (np.float64, np.int64):
        return series.to_numpy()
    if isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype != np.uint64:
        return series.to_numpy().astype(np.int64)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _integral(parsed: _Parsed, column: ColumnSchema) -> _Parsed:
    values = parsed.values
    if column.type != "integer" or values is None or values.dtype.kind != "f":
        return parsed
    fractional = (values != np.trunc(values)) | np.isinf(values)  # NaN counts: masked next
    if parsed.null is not None:
        fractional &= ~parsed.null
    return parsed._replace(bad=_nonzero_or_none(_either(parsed.bad, fractional)))


def _parse_boolean(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    if dtype.kind == "b":
        return _Parsed(_nonzero_or_none(series.isna().to_numpy()), None)
    if dtype.kind in "fiu":
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        null = np.isnan(values)
        return _Parsed(
            _nonzero_or_none(null), _nonzero_or_none((values != 0) & (values != 1) & ~null)
        )
    if _is_strings(dtype):
        strings = pa.array(series.array)
        tokens = pa.array(sorted(TRUE_STRINGS | FALSE_STRINGS), strings.type)
        null = strings.is_null().to_numpy(zero_copy_only=False)
        bad = ~_fill(pc.is_in(strings, value_set=tokens)) & ~null
        return _Parsed(_nonzero_or_none(null), _nonzero_or_none(bad))
    return _parse_objects(series, column)


def _parse_category(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    known = list(column.categories or {})
    if _is_strings(dtype):
        strings = pa.array(series.array)
        null = strings.is_null().to_numpy(zero_copy_only=False)
        seen = _fill(pc.is_in(strings, value_set=pa.array(known, strings.type)))
        return _Parsed(_nonzero_or_none(null), None, unseen=_nonzero_or_none(~seen & ~null))
    if isinstance(dtype, pd.CategoricalDtype) and _all_strings(dtype.categories):
        codes = series.cat.codes.to_numpy()
        null = codes < 0
        seen = np.append(dtype.categories.isin(known), True)[codes]  # code -1 is null
        return _Parsed(_nonzero_or_none(null), None, unseen=_nonzero_or_none(~seen))
    return _parse_objects(series, column)


def _parse_datetime(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    aware = column.timezone is not None
    if dtype.kind == "M":
        unit = series.dt.unit
        stamps = series.to_numpy(dtype=f"datetime64[{unit}]")  # UTC wall time when aware
        null = np.isnat(stamps)
        if (series.dt.tz is not None) != aware:
            return _Parsed(_nonzero_or_none(null), _nonzero_or_none(~null))
        values = stamps.view(np.int64)
        unit_ns = int(np.timedelta64(1, unit) // np.timedelta64(1, "ns"))
        return _Parsed(_nonzero_or_none(null), None, values, unit_ns)
    if _is_strings(dtype):
        return _parse_datetime_strings(pa.array(series.array), aware)
    return _parse_objects(series, column)


def _parse_datetime_strings(strings: pa.Array, aware: bool) -> _Parsed:
    null = strings.is_null().to_numpy(zero_copy_only=False)
    shaped = _fill(pc.match_substring_regex(strings, f"^(?:{DATETIME_PATTERN})$"))
    zoned = _fill(pc.match_substring_regex(strings, TZ_SUFFIX_PATTERN))
    usable = shaped & (zoned if aware else ~zoned)
    text = pd.Series(pc.if_else(pa.array(usable), strings, None).to_numpy(zero_copy_only=False))
    stamps = pd.to_datetime(text, format="ISO8601", utc=aware, errors="coerce")
    as_parsed = ColumnSchema(name="_", type="datetime", timezone="UTC" if aware else None)
    parsed = _parse_datetime(stamps, as_parsed)
    bad = stamps.isna().to_numpy() & ~null
    return parsed._replace(null=_nonzero_or_none(null), bad=_nonzero_or_none(bad))


def _parse_text(series: pd.Series, column: ColumnSchema) -> _Parsed:
    if series.dtype == object:
        return _parse_objects(series, column)
    return _Parsed(_nonzero_or_none(series.isna().to_numpy()), None)


_PARSERS: dict[str, Callable[[pd.Series, ColumnSchema], _Parsed]] = {
    "numeric": _parse_number,
    "integer": _parse_number,
    "boolean": _parse_boolean,
    "categorical": _parse_category,
    "datetime": _parse_datetime,
    "text": _parse_text,
}

"""Datetime columns for schema inference: datetime64 values, ISO 8601 strings and Python
datetimes, with the column's timezone."""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from keel.data._infer_stats import _counts, _n_unique, _Result, _spread, _text
from keel.data._scalars import DATETIME_PATTERN, TZ_SUFFIX_PATTERN
from keel.data._schema_model import ColumnSchema

_DATETIME = re.compile(DATETIME_PATTERN)


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

"""Datetime features: calendar parts, cyclical encodings and elapsed days of datetime columns.

`DatetimeFeatures` is a column step. A value may be a datetime64 column (naive or
tz-aware), a Python ``datetime``/``date`` or ``pd.Timestamp``, ``numpy.datetime64``, an
ISO 8601 string (as ``datetime.fromisoformat`` reads it), or missing (``None``, NaN,
``pd.NA``, ``NaT``, ``""``). tz-aware values are converted to UTC first; naive values are
taken as they are (as UTC). Time is counted in whole microseconds (finer values are floored).

Outputs, per input column, in this order whatever the order of ``parts``:

- ``calendar``: ``<col>_year``, ``_month`` (1-12), ``_day`` (1-31), ``_dayofweek`` (Monday
  0 to Sunday 6), ``_hour`` (0-23), ``_dayofyear`` (1-366), ``_is_weekend`` (0/1).
- ``cyclical``: ``<col>_month_sin``, ``_month_cos``, then likewise ``dayofweek``, ``hour``
  and ``dayofyear``: sin and cos of ``2 * pi * value / period``, periods 12, 7, 24 and
  365.25, the value numbered from 0 (January is 0, the 1st of January is 0).
- ``elapsed``: ``<col>_elapsed_days``, float days since ``reference`` (an ISO string; by
  default the column's smallest timestamp seen in fit).

A missing value gets the fitted fill, so outputs stay finite: the training mode of each
calendar output (ties to the smallest), the sin/cos of the modal month, day of week, hour
and day of year, and the training median of elapsed days. A column with no value in
training fills with the outputs of its reference (1970-01-01 when none is given).
A value that is none of the above (a number, a malformed string) is a `FeatureError`.

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"signup": ["2024-03-02T10:00:00+02:00", "2024-03-04", None]})
    >>> step = DatetimeFeatures(parts=["calendar", "elapsed"]).fit(X)
    >>> list(step.get_feature_names_out())[-3:]
    ['signup_dayofyear', 'signup_is_weekend', 'signup_elapsed_days']
    >>> step.transform(X)[0].tolist()
    [2024.0, 3.0, 2.0, 5.0, 8.0, 62.0, 1.0, 0.0]
    >>> step.record_function()({"signup": "2024-03-04"})[-1]
    1.6666666666666667
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from keel.errors import FeatureError
from keel.features._contract import check_fitted, check_input_features, input_frame, is_missing

__all__ = ["DatetimeFeatures"]

_PARTS = ("calendar", "cyclical", "elapsed")
_CALENDAR = ("year", "month", "day", "dayofweek", "hour", "dayofyear", "is_weekend")
# (calendar output, its period, its first value): sin/cos take the value numbered from 0.
_CYCLES = (("month", 12.0, 1), ("dayofweek", 7.0, 0), ("hour", 24.0, 0), ("dayofyear", 365.25, 1))
_SIZES = {"month": 12, "dayofweek": 7, "hour": 24, "dayofyear": 366}
# sin/cos by lookup: the batch and record paths read the same bits, and it is faster.
_SIN = {n: np.sin(2 * np.pi * np.arange(_SIZES[n]) / p) for n, p, _ in _CYCLES}
_COS = {n: np.cos(2 * np.pi * np.arange(_SIZES[n]) / p) for n, p, _ in _CYCLES}
_US_PER_DAY = 86_400_000_000
_US_PER_HOUR = 3_600_000_000
_FINER_THAN_US = {"ns": 1_000, "ps": 1_000_000, "fs": 10**9, "as": 10**12}
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class DatetimeFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Calendar, cyclical and elapsed-time features of datetime columns (module docstring).

    Args:
        parts: any of ``"calendar"``, ``"cyclical"``, ``"elapsed"``.
        reference: the ISO date or datetime elapsed days count from; ``None`` for each
            column's earliest training timestamp.
    """

    def __init__(self, parts: list[str] = ["calendar"], reference: str | None = None):  # noqa: B006
        self.parts = parts
        self.reference = reference

    def fit(self, X: pd.DataFrame, y: Any = None) -> DatetimeFeatures:
        self.parts_ = _check_parts(self.parts)
        fixed = None if self.reference is None else _check_reference(self.reference)
        X = input_frame(self, X, fitted=False)
        self.references_us_: list[int] = []
        fills = []
        for column in X.columns:
            micros, missing = _column_micros(X[column], column)
            seen = micros[~missing]
            default = int(seen.min()) if seen.size else 0
            reference = default if fixed is None else fixed
            self.references_us_.append(reference)
            fills.append(
                _fill(seen if seen.size else np.array([reference]), reference, self.parts_)
            )
        self.fill_values_ = np.array(fills, dtype=np.float64).reshape(X.shape[1], -1)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        X = input_frame(self, X, fitted=True)
        blocks = []
        for j, column in enumerate(X.columns):
            micros, missing = _column_micros(X[column], column)
            out = _outputs(micros, self.references_us_[j], self.parts_)
            out[missing] = self.fill_values_[j]
            blocks.append(out)
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_input_features(self, input_features)
        suffixes = _suffixes(self.parts_)
        names = [f"{c}_{s}" for c in self.feature_names_in_ for s in suffixes]
        return np.asarray(names, dtype=object)

    def record_function(self) -> Callable[[Mapping[str, Any]], list[float]]:
        """One raw record to its output row, equal to ``transform`` on that one row."""
        check_fitted(self)
        fitted = zip(self.feature_names_in_, self.references_us_, self.fill_values_, strict=True)
        columns = [(str(c), ref, fill.tolist()) for c, ref, fill in fitted]
        parts = self.parts_
        calendar, cyclical, elapsed = (p in parts for p in _PARTS)
        sin = {n: t.tolist() for n, t in _SIN.items()}
        cos = {n: t.tolist() for n, t in _COS.items()}

        def features(record: Mapping[str, Any]) -> list[float]:
            row: list[float] = []
            for column, reference, fill in columns:
                us = _micros(record.get(column), column)
                if us is None:
                    row.extend(fill)
                    continue
                if calendar or cyclical:
                    values = _record_calendar(us)
                    if calendar:
                        row.extend(values)
                    if cyclical:
                        _record_cycles(values, sin, cos, row)
                if elapsed:
                    row.append(float(us - reference) / _US_PER_DAY)
            return row

        return features

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags


def _check_parts(parts: Any) -> tuple[str, ...]:
    ok = isinstance(parts, list | tuple) and len(parts) > 0
    ok = ok and all(p in _PARTS for p in parts) and len(set(parts)) == len(parts)
    if not ok:
        raise FeatureError(
            "The 'parts' setting of features.DatetimeFeatures must be a non-empty list of "
            f"distinct values from {list(_PARTS)}. Got {parts!r} instead.",
            field="parts",
        )
    return tuple(p for p in _PARTS if p in parts)


def _check_reference(reference: Any) -> int:
    try:
        us = _micros(reference, "reference") if isinstance(reference, str) else None
    except FeatureError:
        us = None
    if us is None:
        raise FeatureError(
            "The 'reference' setting of features.DatetimeFeatures must be an ISO date or "
            f"datetime string such as '2024-01-01'. Got {reference!r} instead.",
            field="reference",
        )
    return us


def _suffixes(parts: tuple[str, ...]) -> list[str]:
    suffixes = list(_CALENDAR) if "calendar" in parts else []
    if "cyclical" in parts:
        suffixes += [f"{n}_{f}" for n, _, _ in _CYCLES for f in ("sin", "cos")]
    return suffixes + (["elapsed_days"] if "elapsed" in parts else [])


def _micros(value: Any, column: str) -> int | None:
    """One raw value as whole microseconds since 1970-01-01 UTC; ``None`` when missing."""
    if isinstance(value, str):
        if not value:
            return None
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _bad_value(value, column) from None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.asm8  # the UTC instant, with its nanoseconds
    elif isinstance(value, datetime):
        epoch = _EPOCH if value.tzinfo is None else _EPOCH_UTC
        return (value - epoch) // _MICROSECOND
    elif isinstance(value, date):
        return (value - _EPOCH.date()).days * _US_PER_DAY
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else int(_datetime64_micros(np.asarray(value)))
    if is_missing(value):
        return None
    raise _bad_value(value, column)


def _bad_value(value: Any, column: str) -> FeatureError:
    return FeatureError(
        f"Column {column!r} of features.DatetimeFeatures must hold datetimes or ISO 8601 "
        f"strings. Got {value!r} instead.",
        field=column,
    )


def _datetime64_micros(values: np.ndarray) -> np.ndarray:
    """datetime64 values (not NaT) as int64 microseconds, floored."""
    unit, count = np.datetime_data(values.dtype)
    if unit in _FINER_THAN_US:
        return values.view(np.int64) * count // _FINER_THAN_US[unit]
    return values.astype("datetime64[us]").view(np.int64)


def _column_micros(series: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column as int64 microseconds (0 where missing) and its missing mask."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert(None)
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "M":
        values = series.to_numpy()
        missing = np.isnat(values)
        return np.where(missing, 0, _datetime64_micros(values)), missing
    parsed = [_micros(v, column) for v in series.to_numpy(dtype=object)]
    missing = np.fromiter((p is None for p in parsed), dtype=bool, count=len(parsed))
    micros = np.fromiter((p or 0 for p in parsed), dtype=np.int64, count=len(parsed))
    return micros, missing


def _calendar(micros: np.ndarray) -> np.ndarray:
    """The calendar outputs, array of shape (n_samples, 7) of int64."""
    days = micros // _US_PER_DAY
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = d.astype("datetime64[Y]")
    dayofweek = (days + 3) % 7  # 1970-01-01 was a Thursday
    return np.column_stack(
        [
            years.astype(np.int64) + 1970,
            months.astype(np.int64) % 12 + 1,
            (d - months.astype("datetime64[D]")).astype(np.int64) + 1,
            dayofweek,
            (micros - days * _US_PER_DAY) // _US_PER_HOUR,
            (d - years.astype("datetime64[D]")).astype(np.int64) + 1,
            dayofweek >= 5,
        ]
    ).astype(np.int64)


def _outputs(micros: np.ndarray, reference: int, parts: tuple[str, ...]) -> np.ndarray:
    blocks: list[np.ndarray] = []
    calendar = _calendar(micros) if "calendar" in parts or "cyclical" in parts else None
    if "calendar" in parts:
        blocks.append(calendar)  # type: ignore[arg-type]
    if "cyclical" in parts:
        for name, _, first in _CYCLES:
            index = calendar[:, _CALENDAR.index(name)] - first  # type: ignore[index]
            blocks += [_SIN[name][index], _COS[name][index]]
    if "elapsed" in parts:
        blocks.append((micros - reference).astype(np.float64) / _US_PER_DAY)
    return np.column_stack(blocks).astype(np.float64)


def _fill(seen: np.ndarray, reference: int, parts: tuple[str, ...]) -> list[float]:
    """The fill of every output, from a column's training timestamps (see module docstring)."""
    modes = [_mode(values) for values in _calendar(seen).T]
    out = [float(m) for m in modes] if "calendar" in parts else []
    if "cyclical" in parts:
        for name, _, first in _CYCLES:
            index = modes[_CALENDAR.index(name)] - first
            out += [float(_SIN[name][index]), float(_COS[name][index])]
    if "elapsed" in parts:
        out.append(float(np.median((seen - reference).astype(np.float64) / _US_PER_DAY)))
    return out


def _mode(values: np.ndarray) -> int:
    uniques, counts = np.unique(values, return_counts=True)
    return int(uniques[np.argmax(counts)])  # np.unique sorts: ties go to the smallest


def _record_calendar(us: int) -> list[float]:
    moment = _EPOCH + timedelta(microseconds=us)
    weekday = moment.weekday()
    yday = moment.toordinal() - date(moment.year, 1, 1).toordinal() + 1
    return [
        float(moment.year),
        float(moment.month),
        float(moment.day),
        float(weekday),
        float(moment.hour),
        float(yday),
        1.0 if weekday >= 5 else 0.0,
    ]


def _record_cycles(
    calendar: list[float], sin: dict[str, list[float]], cos: dict[str, list[float]], row: list
) -> None:
    for name, _, first in _CYCLES:
        index = int(calendar[_CALENDAR.index(name)]) - first
        row.append(sin[name][index])
        row.append(cos[name][index])

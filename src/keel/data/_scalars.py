"""The scalar rules: whether one value is of a logical type, and the value it coerces to.

Shared by the record validator (``_record``) and by the batch validator (``_validate``) for
the columns it cannot check with a vectorized path, so the two validators agree by
construction. ``_record``'s docstring says what each logical type accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
import pandas as pd

from keel.data._schema_model import ColumnSchema

NUMBER_PATTERN: Final = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_HH, _MM = r"(?:[01][0-9]|2[0-3])", r"[0-5][0-9]"
_OFFSET = rf"(?:Z|[+-]{_HH}:{_MM})"
#: ISO 8601, as far as both Python's ``datetime.fromisoformat`` and pandas parse it alike:
#: years 0001-9999, an offset only after a time.
DATETIME_PATTERN: Final = (
    r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}"
    rf"(?:[T ]{_HH}:{_MM}(?::{_MM}(?:\.[0-9]{{1,6}})?)?{_OFFSET}?)?"
)
TZ_SUFFIX_PATTERN: Final = rf"{_OFFSET}$"
TRUE_STRINGS: Final = frozenset({"true", "True", "TRUE", "1"})
FALSE_STRINGS: Final = frozenset({"false", "False", "FALSE", "0"})


_NUMBER = re.compile(NUMBER_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class _Bad:
    """The value is not of the column's logical type."""

    def __repr__(self) -> str:
        return "BAD"


BAD: Final = _Bad()

#: A coerced scalar: a number (ns since the epoch for datetimes), a string, None for null.
Coerced = float | int | str | None | _Bad


def is_null(value: Any) -> bool:
    """Whether a scalar is a null (``None``, NaN, ``pd.NA``, ``NaT``)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(value != value)
    return isinstance(value, np.datetime64) and bool(np.isnat(value))


def coerce_number(value: Any) -> Coerced:
    if isinstance(value, bool | np.bool_):
        return BAD
    if isinstance(value, int | np.integer):
        try:
            return float(value)
        except OverflowError:
            return BAD
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        return None if number != number else number
    if isinstance(value, str):
        return float(value) if _NUMBER.fullmatch(value) else BAD
    return BAD


def coerce_integer(value: Any) -> Coerced:
    number = coerce_number(value)
    if isinstance(number, float) and not (number - number == 0 and number.is_integer()):
        return BAD  # infinite or fractional
    return number


def coerce_boolean(value: Any) -> Coerced:
    if isinstance(value, bool | np.bool_):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return 1.0 if value in TRUE_STRINGS else 0.0 if value in FALSE_STRINGS else BAD
    number = coerce_number(value)
    return number if number is None or number == 0.0 or number == 1.0 else BAD


def coerce_category(value: Any) -> Coerced:
    return value if isinstance(value, str) else BAD


def coerce_text(value: Any) -> Coerced:
    return value if isinstance(value, str) else str(value)


def coerce_datetime(value: Any, aware: bool) -> Coerced:
    """Nanoseconds since the epoch (UTC for aware values), exact as a Python int."""
    if isinstance(value, str):
        if not _DATETIME.fullmatch(value):
            return BAD
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return BAD
    if isinstance(value, np.datetime64):
        return BAD if aware else _datetime64_ns(value)
    if isinstance(value, pd.Timestamp):
        if (value.tzinfo is not None) != aware:
            return BAD
        # via datetime: Timestamp.value overflows outside 1677-2262
        return _epoch_ns(value.to_pydatetime(warn=False), aware) + value.nanosecond
    if isinstance(value, datetime):
        if (value.utcoffset() is not None) != aware:
            return BAD
        return _epoch_ns(value, aware)
    if isinstance(value, date) and not aware:
        return _epoch_ns(datetime(value.year, value.month, value.day), False)
    return BAD


def _epoch_ns(value: datetime, aware: bool) -> int:
    return (value - (_EPOCH_UTC if aware else _EPOCH)) // _MICROSECOND * 1000


def _datetime64_ns(value: np.datetime64) -> int:
    if np.datetime_data(value.dtype)[0] == "ns":
        return int(value.astype(np.int64))
    return int(value.astype("datetime64[us]").astype(np.int64)) * 1000  # no ns overflow


def coercer(column: ColumnSchema) -> Callable[[Any], Coerced]:
    """The scalar rule for a column's logical type."""
    if column.type == "datetime":
        aware = column.timezone is not None
        return lambda value: coerce_datetime(value, aware)
    return _COERCERS[column.type]


_COERCERS: dict[str, Callable[[Any], Coerced]] = {
    "numeric": coerce_number,
    "integer": coerce_integer,
    "boolean": coerce_boolean,
    "categorical": coerce_category,
    "text": coerce_text,
}

"""What a column expects of a value: its range bounds as numbers, and its type and range in
words (for the messages of both validators)."""

from __future__ import annotations

import pandas as pd

from keel.data._scalars import _epoch_ns
from keel.data._schema_model import ColumnSchema
from keel.errors import SchemaError


def datetime_bound_ns(bound: float | str) -> int:
    """A datetime range bound (ISO string, or epoch seconds) as ns since the epoch; a naive
    bound of an aware column is read as UTC, as naive values are encoded."""
    if not isinstance(bound, str):
        return round(bound * 1e9)
    stamp = pd.Timestamp(bound)  # keeps nanoseconds, which datetime.fromisoformat drops
    return _epoch_ns(stamp.to_pydatetime(warn=False), stamp.tzinfo is not None) + (stamp.nanosecond)


def range_of(column: ColumnSchema, which: str) -> tuple[float | None, float | None]:
    """The ``allowed`` or ``observed`` bounds of a column, as numbers.

    Datetime bounds are exact ``int`` nanoseconds since the epoch (float64 would round them
    to ~256 ns).

    Raises:
        SchemaError: a bound of a numeric column is not a number.
    """
    bounds: list[float | None] = []
    for side in ("min", "max"):
        bound = getattr(column, f"{which}_{side}")
        if bound is None or column.type not in _RANGED:
            bounds.append(None)
            continue
        try:
            bounds.append(datetime_bound_ns(bound) if column.type == "datetime" else float(bound))
        except ValueError:
            what = "an ISO 8601 datetime" if column.type == "datetime" else "a number"
            raise SchemaError(
                f"The {which}_{side} of column {column.name!r} must be {what}. "
                f"Got {bound!r} instead."
            ) from None
    return bounds[0], bounds[1]


_RANGED = frozenset({"numeric", "integer", "datetime"})


def describe_type(column: ColumnSchema) -> str:
    """What a value of this column must be, in words (for error messages)."""
    if column.type == "datetime":
        zone = f"timezone-aware ({column.timezone})" if column.timezone else "naive"
        return f"a {zone} datetime or ISO 8601 string"
    return _TYPE_WORDS[column.type]


_TYPE_WORDS = {
    "numeric": "a number",
    "integer": "a whole number",
    "boolean": "true or false (or 0/1)",
    "categorical": "a string category",
    "text": "a value",
}


def describe_range(column: ColumnSchema, which: str) -> str:
    low = getattr(column, f"{which}_min")
    high = getattr(column, f"{which}_max")
    parts = ([f">= {low}"] if low is not None else []) + (
        [f"<= {high}"] if high is not None else []
    )
    return f"a value {' and '.join(parts)}" + (" (as observed)" if which == "observed" else "")

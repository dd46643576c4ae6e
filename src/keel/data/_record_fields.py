"""One feature of the record validator, compiled (``_Field``), and the error it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from keel.data._expectations import describe_range, describe_type, range_of
from keel.data._scalars import BAD, coercer, is_null
from keel.data._schema_model import ColumnSchema


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field of a record.

    ``kind`` is the same word the batch validator uses for its violations: ``missing_column``,
    ``null``, ``type`` or ``out_of_allowed_range`` (``record`` for a sequence of the wrong
    length).
    """

    field: str
    value: Any
    expected: str
    kind: str = "type"

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected}, got {self.value!r}"


_MISSING: Final = object()


_NUMERIC, _INTEGER, _CATEGORICAL, _OTHER = 0, 1, 2, 3
_KINDS = {"numeric": _NUMERIC, "integer": _INTEGER, "categorical": _CATEGORICAL}


class _Field:
    """One feature, compiled: its scalar rule, allowed bounds and category codes."""

    __slots__ = ("codes", "coerce", "column", "high", "kind", "low", "name", "nullable")

    def __init__(self, column: ColumnSchema) -> None:
        self.column = column
        self.name = column.name
        self.kind = _KINDS.get(column.type, _OTHER)
        self.coerce = coercer(column)
        self.nullable = column.nullable
        low, high = range_of(column, "allowed")
        self.low = -np.inf if low is None else low
        self.high = np.inf if high is None else high
        categories = (column.categories or {}) if column.type == "categorical" else {}
        self.codes = {name: float(code) for code, name in enumerate(categories)}

    def check(self, value: Any) -> tuple[Any, FieldError | None]:
        """The value as it goes in the row, or the error that rejects it."""
        if value is _MISSING:
            return None, FieldError(
                self.name, None, "a value (the field is missing)", "missing_column"
            )
        coerced = None if is_null(value) else self.coerce(value)
        if coerced is None:
            if self.nullable:
                return np.nan, None
            return None, FieldError(
                self.name, value, f"{describe_type(self.column)}, not null", "null"
            )
        if coerced is BAD:
            return None, FieldError(self.name, value, describe_type(self.column), "type")
        if isinstance(coerced, int | float) and not self.low <= coerced <= self.high:
            expected = describe_range(self.column, "allowed")
            return None, FieldError(self.name, value, expected, "out_of_allowed_range")
        return self._encode(coerced), None

    def _encode(self, coerced: Any) -> Any:
        if self.kind == _CATEGORICAL:
            return self.codes.get(coerced, -1.0)
        if self.column.type == "datetime":
            return coerced / 1e9
        return coerced

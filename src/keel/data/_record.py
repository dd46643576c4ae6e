"""Validate one record at serving time and turn it into a typed numpy row.

The rules for what counts as a value of each logical type are scalar functions
(``_scalars``); the batch validator (``_validate``) uses the same functions for columns it
cannot check with a vectorized path, so the two validators agree by construction.

What each logical type accepts (``None``, NaN, ``pd.NA`` and ``NaT`` are nulls everywhere):

- numeric: ``int``/``float`` and numpy numbers (not ``bool``), ``Decimal``, and strings that
  spell a decimal number (``"-1.5e3"``; no ``inf``/``nan`` words, no spaces, no ``_``).
- integer: as numeric, and the value must be finite and whole (``3.0`` is accepted).
- boolean: ``bool``/``np.bool_``, the numbers 0 and 1, and the strings in ``TRUE_STRINGS``
  and ``FALSE_STRINGS``.
- categorical: strings only (a number is a type error: categories are strings). A string
  not among the schema's categories is accepted and encoded as the unknown bucket ``-1``.
- datetime: ``datetime``/``pd.Timestamp``/``np.datetime64``/``date`` and ISO 8601 strings
  (``2024-05-01``, ``2024-05-01T12:30:00.5+02:00``). A timezone-aware column takes only
  aware values (any zone; compared as instants), a naive column only naive ones.
- text: any non-null value.

Row encoding: numeric, integer and boolean as numbers; categorical as the category's index
in the schema's categories (unknown ``-1``, null NaN); datetime as epoch seconds (a naive
value is read as UTC wall time). Text cannot live in a float row, so a schema with a text
feature gives rows of dtype ``object`` holding the string; otherwise rows are ``float64``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from keel.data._expectations import datetime_bound_ns as datetime_bound_ns
from keel.data._expectations import describe_range as describe_range
from keel.data._expectations import describe_type as describe_type
from keel.data._expectations import range_of as range_of
from keel.data._record_codegen import _compile, _getter
from keel.data._record_fields import _MISSING, FieldError, _Field
from keel.data._scalars import BAD as BAD
from keel.data._scalars import DATETIME_PATTERN as DATETIME_PATTERN
from keel.data._scalars import FALSE_STRINGS as FALSE_STRINGS
from keel.data._scalars import NUMBER_PATTERN as NUMBER_PATTERN
from keel.data._scalars import TRUE_STRINGS as TRUE_STRINGS
from keel.data._scalars import TZ_SUFFIX_PATTERN as TZ_SUFFIX_PATTERN
from keel.data._scalars import Coerced as Coerced
from keel.data._scalars import coerce_boolean as coerce_boolean
from keel.data._scalars import coerce_category as coerce_category
from keel.data._scalars import coerce_datetime as coerce_datetime
from keel.data._scalars import coerce_integer as coerce_integer
from keel.data._scalars import coerce_number as coerce_number
from keel.data._scalars import coerce_text as coerce_text
from keel.data._scalars import coercer as coercer
from keel.data._scalars import is_null as is_null
from keel.data._schema_model import Schema

__all__ = ["FieldError", "RecordValidator"]


class RecordValidator:
    """Check one record against a schema's features and encode it as a numpy row.

    Compiled once per schema; ``validate`` is the serving hot path. Only the columns with
    role ``feature`` are checked, in schema order; other keys of a dict are ignored.
    Warnings (unseen categories, values outside the observed range) never reject a record:
    an unseen category is encoded as ``-1``. The module docstring says what each type accepts.
    Immutable once built, so one validator may serve many threads.

    Args:
        schema: the model's signature.

    Example:
        >>> from keel.data import ColumnSchema, Schema
        >>> schema = Schema(columns=[
        ...     ColumnSchema(name="age", type="integer", nullable=False, allowed_min=0),
        ...     ColumnSchema(name="city", type="categorical", categories={"Bern": 3, "Zug": 1}),
        ... ])
        >>> validator = RecordValidator(schema)
        >>> validator.validate({"age": 41, "city": "Zug"})
        (array([41.,  1.]), [])
        >>> validator.validate([-1, "Bern"])[1]
        [FieldError(field='age', value=-1, expected='a value >= 0.0', kind='out_of_allowed_range')]
    """

    def __init__(self, schema: Schema) -> None:
        features = schema.features()
        #: The feature names, in row order.
        self.fields: tuple[str, ...] = tuple(c.name for c in features)
        #: ``float64``, or ``object`` when a feature is text.
        self.dtype = np.dtype(object if any(c.type == "text" for c in features) else np.float64)
        self._fields = tuple(_Field(c) for c in features)
        self._fast = _compile(self._fields, self._slow, self.dtype)
        self._get = _getter(self.fields)

    def validate(self, record: Any) -> tuple[np.ndarray | None, list[FieldError]]:
        """The record as a row in feature order, or None and every bad field.

        Args:
            record: a mapping by feature name, or a sequence/1-d array in feature order.

        Returns:
            ``(row, [])`` with ``row`` an array of shape (n_features,), or ``(None, errors)``.
        """
        if type(record) is dict:
            try:
                values = self._get(record)
            except KeyError:
                return self._slow(record)
        else:
            values = self._sequence(record)
            if isinstance(values, FieldError):
                return None, [values]
        return self._fast(values)

    def _sequence(self, record: Any) -> Any:
        if isinstance(record, Mapping):
            return tuple(record.get(name, _MISSING) for name in self.fields)
        if isinstance(record, np.ndarray):
            record = record.tolist() if record.ndim == 1 else record
        if isinstance(record, str | bytes) or not hasattr(record, "__len__"):
            return FieldError("", record, "a mapping or a sequence of features", "record")
        if len(record) != len(self.fields):
            expected = f"{len(self.fields)} values in feature order ({', '.join(self.fields)})"
            return FieldError("", f"{len(record)} values", expected, "record")
        return record

    def _slow(self, record: Any) -> tuple[np.ndarray | None, list[FieldError]]:
        if isinstance(record, Mapping):
            record = tuple(record.get(name, _MISSING) for name in self.fields)
        out, errors = [], []
        for field, value in zip(self._fields, record, strict=True):
            encoded, error = field.check(value)
            out.append(encoded)
            if error is not None:
                errors.append(error)
        return (None, errors) if errors else (np.array(out, dtype=self.dtype), [])

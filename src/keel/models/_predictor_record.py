"""The error a Predictor raises for a record its signature refuses.

Example:
    >>> from keel.data import FieldError
    >>> str(record_error([FieldError("age", "old", "a number")]))
    "The record does not match the model's signature: field 'age' got 'old'; expected a number."
"""

from __future__ import annotations

from collections.abc import Sequence

from keel.errors import ModelError

__all__ = ["record_error"]


def record_error(errors: Sequence[object]) -> ModelError:
    """A ModelError naming every bad field, its value and what was expected; ``.field`` is
    the first bad field."""
    parts = []
    for error in errors:
        field = getattr(error, "field", "")
        where = f"field {field!r}" if field else "the record"
        value, expected = getattr(error, "value", None), getattr(error, "expected", "")
        parts.append(f"{where} got {value!r}; expected {expected}")
    first = getattr(errors[0], "field", None) if errors else None
    return ModelError(
        "The record does not match the model's signature: " + " | ".join(parts) + ".",
        field=first or None,
    )

"""The errors the HTTP layer answers with, and how each becomes a JSON response.

Every refusal is JSON ``{"error": message, "fields": [{"field", "value", "expected"}]}``
with a 4xx status (5xx only for a failure of the server itself), so a client can tell
which field to fix without reading a traceback.

Example:
    >>> error = ApiError(422, "bad record", [{"field": "age", "value": -1,
    ...                                       "expected": "a value >= 0"}])
    >>> error.status, error.body()["fields"][0]["field"]
    (422, 'age')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["ApiError", "Overloaded", "field_entries", "missing", "wrong"]


class ApiError(Exception):
    """A request the server refuses: its HTTP status, message, bad fields and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "fields": self.fields}


class Overloaded(Exception):
    """More rows wait for a model than ``serve.limits.max_queue_rows`` allows: answer 429
    and ask the client to come back after ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: float, queued_rows: int = 0):
        super().__init__(
            f"The server is overloaded ({queued_rows} rows are waiting); retry after "
            f"{retry_after_s:.0f} s."
        )
        self.retry_after_s = retry_after_s
        self.queued_rows = queued_rows

    def as_api_error(self) -> ApiError:
        seconds = str(max(1, math.ceil(self.retry_after_s)))
        return ApiError(429, str(self), headers={"Retry-After": seconds})


def wrong(field: str, value: Any, expected: str, **extra: Any) -> dict[str, Any]:
    """One bad field as the error body lists it."""
    return {"field": field, "value": value, "expected": expected, **extra}


def missing(field: str, expected: str) -> dict[str, Any]:
    return wrong(field, None, f"{expected} (the field is missing)")


def field_entries(errors: Iterable[Any], row: int | None = None) -> list[dict[str, Any]]:
    """keel.data.FieldError objects as error-body entries; ``row`` for a multi-record request."""
    extra = {} if row is None else {"row": row}
    return [
        wrong(error.field or "record", error.value, error.expected, **extra) for error in errors
    ]

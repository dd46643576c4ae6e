"""Warming a model before it takes traffic: a valid record made from its schema, and a few
predictions on it whose time tells the batcher whether the model is fast enough to run on
the event loop.

Example:
    >>> import pandas as pd
    >>> from keel.data import RecordValidator, infer_schema
    >>> frame = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5] * 5, "c": ["a", "b"] * 10})
    >>> schema = infer_schema(frame)
    >>> example_record(schema)
    {'x': 2.0, 'c': 'a'}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from keel.data import RecordValidator, Schema
from keel.errors import ModelError

__all__ = ["WARM_BATCH", "example_record", "measure", "warm_rows"]

#: Rows of the warm-up batch (so the batch path, not only the one-row path, is warm).
WARM_BATCH = 64


def example_record(schema: Schema) -> dict[str, Any]:
    """A record every feature of ``schema`` accepts: a typical value of each column."""
    return {column.name: _typical(column) for column in schema.features()}


def _typical(column: Any) -> Any:
    if column.type in ("numeric", "integer"):
        value = column.stats.get("p50", column.observed_min)
        value = 0 if not isinstance(value, int | float) or np.isnan(value) else value
        return round(value) if column.type == "integer" else float(value)
    if column.type == "boolean":
        return False
    if column.type == "categorical":
        return next(iter(column.categories or {}), "unknown")
    if column.type == "datetime":
        return "2024-01-01T00:00:00" + ("+00:00" if column.timezone else "")
    return "text"


def warm_rows(validator: RecordValidator, schema: Schema, record: dict | None) -> np.ndarray:
    """One validated row, shape (1, n_features), of ``record`` or of a typical record."""
    row, errors = validator.validate(record if record is not None else example_record(schema))
    if row is None:
        problems = "; ".join(str(e) for e in errors)
        raise ModelError(
            f"The warm-up record does not match the model's signature: {problems}.",
            field="warm_record",
        )
    return row[None]


def measure(predict: Callable[[np.ndarray], np.ndarray], row: np.ndarray, times: int = 5) -> float:
    """Warm ``predict`` on one row and a batch, and return the fastest one-row time (s)."""
    predict(np.repeat(row, WARM_BATCH, axis=0))
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        predict(row)
        best = min(best, time.perf_counter() - started)
    return best

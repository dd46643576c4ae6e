"""The JSON API's three request shapes, validated into rows: one record (an object), many
(a list of objects), or columns (``{"columns": {"age": [31, 45], ...}}``).

Example:
    >>> import pandas as pd
    >>> from keel.data import RecordValidator, infer_schema
    >>> validator = RecordValidator(infer_schema(pd.DataFrame({"x": [1.0, 2.0]})))
    >>> records_to_rows({"columns": {"x": [1, 2]}}, validator).tolist()
    [[1.0], [2.0]]
    >>> records_to_rows([{"x": "a"}], validator).fields[0]["row"]
    0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keel.data import RecordValidator
from keel.serving._errors import ApiError, field_entries, wrong

__all__ = ["MAX_REPORTED", "records_to_rows", "rows_of_records"]

#: Bad fields listed in one answer at most (a request of 10,000 bad records stays readable).
MAX_REPORTED = 100

_SHAPES = 'one record (an object), a list of records, or {"columns": {name: [values]}}'


def records_to_rows(payload: Any, validator: RecordValidator) -> np.ndarray | ApiError:
    """Rows of shape (n_records, n_features), or the ApiError naming every bad field."""
    if type(payload) is dict:
        if "columns" in payload and len(payload) == 1 and "columns" not in validator.fields:
            return _columns(payload["columns"], validator)
        row, errors = validator.validate(payload)
        if row is None:
            return _refused(field_entries(errors))
        return row[None]
    if isinstance(payload, list):
        return rows_of_records(payload, validator)
    return ApiError(400, f"The body must be {_SHAPES}.", [wrong("body", payload, _SHAPES)])


def rows_of_records(records: list[Any], validator: RecordValidator) -> np.ndarray | ApiError:
    """Each record (an object, or a list of values in feature order) validated; every bad
    one reported with its row number."""
    if not records:
        return ApiError(
            422, "The request holds no records.", [wrong("body", [], "at least one record")]
        )
    rows, bad = [], []
    for index, record in enumerate(records):
        if not isinstance(record, dict | list):
            bad.append(wrong("record", record, "an object of field -> value", row=index))
            continue
        row, errors = validator.validate(record)
        if row is None:
            bad.extend(field_entries(errors, index))
        else:
            rows.append(row)
    if bad:
        return _refused(bad)
    return np.stack(rows)


def _columns(columns: Any, validator: RecordValidator) -> np.ndarray | ApiError:
    if not isinstance(columns, dict) or not columns:
        return ApiError(
            400,
            "'columns' must map each field to a list of values.",
            [wrong("columns", columns, "an object of field -> [values]")],
        )
    lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
    if -1 in lengths or len(lengths) != 1:
        shown = {k: len(v) if isinstance(v, list) else type(v).__name__ for k, v in columns.items()}
        return ApiError(
            400,
            "Every column must be a list, all of one length.",
            [wrong("columns", shown, "lists of equal length")],
        )
    names = list(columns)
    records = [
        dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    return rows_of_records(records, validator)


def _refused(fields: list[dict[str, Any]]) -> ApiError:
    shown = fields[:MAX_REPORTED]
    more = f" ({len(fields) - len(shown)} more not listed)" if len(fields) > len(shown) else ""
    names = ", ".join(dict.fromkeys(str(f["field"]) for f in shown))
    return ApiError(422, f"The input does not match the model's signature: {names}{more}.", shown)

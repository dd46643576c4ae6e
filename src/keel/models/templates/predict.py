"""Standalone predictor for a keel edge bundle: needs only numpy and onnxruntime.

The bundle folder holds this file, ``model.onnx`` (the whole pipeline: feature steps and
model; README.md says how it was checked against keel's own predictions) and
``schema.json`` (the input columns in the order the graph reads them, their types and
categories).

Use it from Python::

    from predict import BundleModel
    model = BundleModel()                      # the folder this file is in
    model.predict({"age": 41, "plan": "pro"})  # one record -> one label (or value)
    model.predict([record, record])            # records -> list of labels (or values)
    model.predict_proba(record)                # class probabilities, in model.classes order

or from a shell (records: a JSON object or a list of objects; ``-`` reads stdin)::

    python predict.py records.json

which prints one JSON object per record: ``{"label": ..., "probabilities": {...}}``
(``{"value": ...}`` for a regression model), or the errors and exit status 2.

A record is a dict by column name. Values are checked as keel checks them, minimally:
numbers for numeric columns (numeric strings too), whole numbers for integer columns,
true/false (or 0/1) for boolean columns, strings for categorical columns, ISO 8601 strings
for datetime columns; ``None`` or NaN is a null, refused where the column is not nullable.
Every bad field of every record is reported at once, in a ``RecordError``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

__all__ = ["BundleModel", "RecordError"]

BUNDLE_SCHEMA_VERSION = 1
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE, _FALSE = {"true", "True", "TRUE", "1"}, {"false", "False", "FALSE", "0"}
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)  # noqa: UP017 (runs on Python < 3.11)
_BAD = object()


class RecordError(ValueError):
    """One or more records do not fit the schema; ``errors`` holds one line per bad field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("Invalid input:\n  " + "\n  ".join(errors))
        self.errors = errors


class BundleModel:
    """The bundle's model: validates records, runs the ONNX graph, returns labels/values.

    Args:
        folder: the bundle folder; by default the one this file is in.
    """

    def __init__(self, folder: str | Path | None = None) -> None:
        root = Path(folder) if folder is not None else Path(__file__).resolve().parent
        self.schema = json.loads((root / "schema.json").read_text(encoding="utf-8"))
        if self.schema.get("version", 0) > BUNDLE_SCHEMA_VERSION:
            raise ValueError(
                f"{root / 'schema.json'} has version {self.schema['version']}; this predict.py "
                f"reads version {BUNDLE_SCHEMA_VERSION} at most. Export the bundle again."
            )
        self.task: str = self.schema["task"]
        self.classes: list[Any] | None = self.schema.get("classes")
        self.columns: list[dict[str, Any]] = self.schema["columns"]
        # Each column with its category codes: a category's index, as keel encodes it.
        self._fields = [
            (c, {name: float(code) for code, name in enumerate(c.get("categories") or [])})
            for c in self.columns
        ]
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(root / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        graph_input = self._session.get_inputs()[0]
        self._input = graph_input.name
        self._dtype = np.float64 if graph_input.type == "tensor(double)" else np.float32
        self._output = self.schema["output"]

    def predict(self, records: Any) -> Any:
        """Labels (classification) or values (regression): one for a dict, a list for a list."""
        output = self.run(records)
        if self.classes is None:
            values = output.tolist()
        else:
            values = [self.classes[i] for i in np.argmax(output, axis=1)]
        return values[0] if isinstance(records, Mapping) else values

    def predict_proba(self, records: Any) -> np.ndarray:
        """Probabilities: shape (n_classes,) for a dict, (n_records, n_classes) for a list."""
        if self.classes is None:
            raise ValueError("This is a regression model: it has values, not probabilities.")
        output = self.run(records)
        return output[0] if isinstance(records, Mapping) else output

    def matrix(self, records: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """The graph's input: shape (n_records, n_columns), columns in schema order."""
        rows: list[list[float]] = []
        errors: list[str] = []
        for index, record in enumerate(records):
            row, problems = self._row(record)
            rows.append(row)
            errors.extend(f"record {index}: {problem}" for problem in problems)
        if errors:
            raise RecordError(errors)
        return np.array(rows, dtype=self._dtype).reshape(len(rows), len(self.columns))

    def run(self, records: Any) -> np.ndarray:
        """The graph's output: probabilities (n, n_classes), or values (n,) for regression."""
        batch = [records] if isinstance(records, Mapping) else records
        if not isinstance(batch, Sequence) or isinstance(batch, (str, bytes)):
            raise TypeError(f"Expected a dict or a list of dicts, got {type(records).__name__}.")
        (output,) = self._session.run([self._output], {self._input: self.matrix(batch)})
        output = np.asarray(output, dtype=np.float64)
        if self.classes is None:
            return output.reshape(len(output), -1)[:, 0]
        if len(self.classes) == 2 and (output.ndim == 1 or output.shape[1] == 1):
            # A graph that gives P(second class) only: add the first class's column.
            positive = output.reshape(-1)
            output = np.column_stack([1.0 - positive, positive])
        return output

    def _row(self, record: Any) -> tuple[list[float], list[str]]:
        if not isinstance(record, Mapping):
            return [], [f"expected a dict of column values, got {type(record).__name__}"]
        row, problems = [], []
        for column, codes in self._fields:
            name = column["name"]
            if name not in record:
                problems.append(f"field {name!r}: missing (expected {_expected(column)})")
                continue
            value = record[name]
            encoded = _encode(value, column, codes)
            if encoded is _BAD:
                problems.append(f"field {name!r}: expected {_expected(column)}, got {value!r}")
            elif encoded is None and not column["nullable"]:
                problems.append(f"field {name!r}: expected {_expected(column)}, not null")
            elif not _within(encoded, column):
                problems.append(f"field {name!r}: expected {_expected(column)}, got {value!r}")
            else:
                row.append(math.nan if encoded is None else encoded)
        return row, problems


def _encode(value: Any, column: Mapping[str, Any], codes: Mapping[str, float]) -> Any:
    """The value as the graph reads it: a float, None for a null, _BAD for a wrong type."""
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return None
    kind = column["type"]
    if kind == "boolean":
        return _boolean(value)
    if kind == "categorical":
        return codes.get(value, -1.0) if isinstance(value, str) else _BAD
    if kind == "datetime":
        return _datetime(value, column.get("timezone") is not None)
    number = _number(value)
    if kind == "integer" and number is not _BAD and not float(number).is_integer():
        return _BAD
    return number


def _number(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return _BAD
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return _BAD


def _boolean(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return 1.0 if value in _TRUE else 0.0 if value in _FALSE else _BAD
    number = _number(value)
    return number if number in (None, 0.0, 1.0) else _BAD


def _datetime(value: Any, aware: bool) -> Any:
    """Seconds since the epoch (UTC for timezone-aware columns), as keel encodes them."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return _BAD
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime) or (value.utcoffset() is not None) != aware:
        return _BAD
    return (value - (_EPOCH_UTC if aware else _EPOCH)).total_seconds()


def _within(encoded: float | None, column: Mapping[str, Any]) -> bool:
    low, high = column.get("allowed_min"), column.get("allowed_max")
    if encoded is None or column["type"] not in ("numeric", "integer"):
        return True
    return (low is None or encoded >= low) and (high is None or encoded <= high)


def _expected(column: Mapping[str, Any]) -> str:
    kind = column["type"]
    low, high = column.get("allowed_min"), column.get("allowed_max")
    if kind in ("numeric", "integer") and (low is not None or high is not None):
        number = "a number" if kind == "numeric" else "a whole number"
        return f"{number} in [{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    if kind == "categorical":
        categories = column.get("categories") or []
        shown = ", ".join(repr(c) for c in categories[:5]) + (", ..." if categories[5:] else "")
        return f"a string (known categories: {shown})" if categories else "a string"
    return {
        "numeric": "a number",
        "integer": "a whole number",
        "boolean": "true or false",
        "datetime": "an ISO 8601 date-time string"
        + (" with a UTC offset" if column.get("timezone") else " without a UTC offset"),
    }.get(kind, f"a {kind} value")


def _main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python predict.py RECORDS.json  (a JSON object or list; - for stdin)")
        return 2
    text = sys.stdin.read() if argv[0] == "-" else Path(argv[0]).read_text(encoding="utf-8")
    records = json.loads(text)
    batch = [records] if isinstance(records, dict) else records
    model = BundleModel()
    try:
        output = model.run(batch)
    except RecordError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for row in output:
        if model.classes is None:
            result: dict[str, Any] = {"value": float(row)}
        else:
            probabilities = {str(c): float(row[i]) for i, c in enumerate(model.classes)}
            result = {"label": model.classes[int(np.argmax(row))], "probabilities": probabilities}
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

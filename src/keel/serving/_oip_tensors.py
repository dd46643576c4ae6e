"""Open Inference Protocol v2 tensors: inputs validated into rows, outputs as tensors.

Two input forms are accepted (the model metadata lists the first):

- one tensor per feature column, named as in the signature, shape ``[n]`` or ``[n, 1]``;
  strings (categories, datetimes, text) as ``BYTES``;
- one tensor named ``input`` of shape ``[n, n_features]`` (FP64/FP32/INT*), values in
  feature order.

Either way every row goes through the signature's RecordValidator, so a bad value is named
by its column, row and what was expected.

Example:
    >>> import pandas as pd
    >>> from keel.data import RecordValidator, infer_schema
    >>> validator = RecordValidator(infer_schema(pd.DataFrame({"x": [1.0, 2.0]})))
    >>> inputs = [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1, 2]}]
    >>> tensor_rows(inputs, validator).tolist()
    [[1.0], [2.0]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from keel.data import RecordValidator, Schema
from keel.serving._errors import ApiError, wrong
from keel.serving._json_api_records import rows_of_records

__all__ = ["DATATYPES", "input_metadata", "label_datatype", "tensor_rows"]

DATATYPES = frozenset(
    (
        "BOOL",
        "UINT8",
        "UINT16",
        "UINT32",
        "UINT64",
        "INT8",
        "INT16",
        "INT32",
        "INT64",
        "FP16",
        "FP32",
        "FP64",
        "BYTES",
    )
)
_MATRIX = "input"
_OF_TYPE = {"numeric": "FP64", "integer": "INT64", "boolean": "BOOL"}


def input_metadata(schema: Schema) -> list[dict[str, Any]]:
    """One tensor per feature column, as GET /v2/models/{name} lists them."""
    return [
        {"name": c.name, "datatype": _OF_TYPE.get(c.type, "BYTES"), "shape": [-1]}
        for c in schema.features()
    ]


def label_datatype(labels: list[Any] | None) -> str:
    """The tensor type of the "label" output: the classes' type (FP64 for a regressor)."""
    if labels is None:
        return "FP64"
    if all(isinstance(v, bool) for v in labels):
        return "BOOL"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
        return "INT64"
    if all(isinstance(v, float) for v in labels):
        return "FP64"
    return "BYTES"


def tensor_rows(inputs: Any, validator: RecordValidator) -> np.ndarray:
    """Rows of shape (n, n_features) from an infer request's ``inputs``; ApiError otherwise."""
    if not isinstance(inputs, list) or not inputs:
        raise ApiError(
            400,
            "'inputs' must be a non-empty list of tensors.",
            [wrong("inputs", inputs, "a list of {name, shape, datatype, data}")],
        )
    tensors = [_tensor(t, i) for i, t in enumerate(inputs)]
    if len(tensors) == 1 and tensors[0][0] == _MATRIX and _MATRIX not in validator.fields:
        records: list[Any] = _matrix_records(tensors[0], len(validator.fields))
    else:
        records = _column_records(tensors, validator)
    rows = rows_of_records(records, validator)
    if isinstance(rows, ApiError):
        raise rows
    return rows


def _tensor(tensor: Any, index: int) -> tuple[str, list[int], list[Any]]:
    where = f"inputs[{index}]"
    if not isinstance(tensor, dict):
        raise ApiError(
            400,
            f"{where} is not a tensor object.",
            [wrong(where, tensor, "{name, shape, datatype, data}")],
        )
    name, shape = tensor.get("name"), tensor.get("shape")
    datatype, data = tensor.get("datatype"), tensor.get("data")
    bad = []
    if not isinstance(name, str):
        bad.append(wrong(f"{where}.name", name, "a feature column's name or 'input'"))
    if datatype not in DATATYPES:
        bad.append(wrong(f"{where}.datatype", datatype, f"one of {sorted(DATATYPES)}"))
    if not _shape_ok(shape):
        bad.append(wrong(f"{where}.shape", shape, "a list of whole numbers >= 0"))
    if not isinstance(data, list):
        bad.append(wrong(f"{where}.data", data, "a list of values (row-major)"))
    if bad:
        raise ApiError(400, f"{where} is not a valid tensor.", bad)
    assert isinstance(name, str) and isinstance(shape, list) and isinstance(data, list)
    flat = _flat(data)
    if len(flat) != math.prod(shape):
        raise ApiError(
            400,
            f"{where} ({name}) holds {len(flat)} values; its shape {shape} "
            f"needs {math.prod(shape)}.",
            [wrong(f"{name}.data", f"{len(flat)} values", f"{math.prod(shape)} values")],
        )
    return name, shape, flat


def _shape_ok(shape: Any) -> bool:
    return (
        isinstance(shape, list)
        and 0 < len(shape) <= 2
        and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 10**7 for d in shape)
    )


def _flat(data: list[Any]) -> list[Any]:
    # Row-major nested lists are accepted too ([[1, 2], [3, 4]]), as KServe's servers do.
    if not any(isinstance(v, list) for v in data):
        return data
    out: list[Any] = []
    for value in data:
        out.extend(_flat(value) if isinstance(value, list) else [value])
    return out


def _matrix_records(tensor: tuple[str, list[int], list[Any]], width: int) -> list[list[Any]]:
    _, shape, flat = tensor
    if len(shape) != 2 or shape[1] != width:
        raise ApiError(
            400,
            f"The 'input' tensor must have shape [n, {width}] (one column per "
            f"feature); got {shape}.",
            [wrong("input.shape", shape, f"[n, {width}]")],
        )
    return [flat[i * width : (i + 1) * width] for i in range(shape[0])]


def _column_records(tensors: list[Any], validator: RecordValidator) -> list[dict[str, Any]]:
    known = set(validator.fields)
    bad = [
        wrong(
            n,
            "a tensor",
            f"a feature column ({', '.join(validator.fields)}) or one 2-D tensor named 'input'",
        )
        for n, _, _ in tensors
        if n not in known
    ]
    lengths = {shape[0] for _, shape, _ in tensors}
    if not bad and len(lengths) != 1:
        bad = [
            wrong(n, f"shape {s}", "the same number of rows as the other inputs")
            for n, s, _ in tensors
        ]
    bad += [
        wrong(n, f"shape {s}", "[n] or [n, 1]") for n, s, _ in tensors if len(s) == 2 and s[1] != 1
    ]
    if bad:
        raise ApiError(400, "The input tensors do not fit the model's signature.", bad)
    names = [name for name, _, _ in tensors]
    columns = [data for _, _, data in tensors]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]

"""The binary tensor data extension of the Open Inference Protocol (what ``tritonclient``
sends by default): a JSON header of ``Inference-Header-Content-Length`` bytes, then each
input's raw bytes in order, sized by its ``parameters.binary_data_size``. Each binary input
becomes a plain JSON ``data`` list, so validation is the same for both forms.

Example:
    >>> import numpy as np, orjson
    >>> header = orjson.dumps({"inputs": [{"name": "x", "datatype": "FP64", "shape": [2],
    ...                                    "parameters": {"binary_data_size": 16}}]})
    >>> body = header + np.array([1.5, 2.0]).tobytes()
    >>> split_binary(body, str(len(header)))["inputs"][0]["data"]
    [1.5, 2.0]
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from keel.serving._app_request import load_json
from keel.serving._errors import ApiError, wrong

__all__ = ["split_binary"]

_DTYPES = {
    "BOOL": "?",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}


def split_binary(body: bytes, header_length: str) -> Any:
    """The infer request with every binary input's bytes decoded into its ``data``."""
    if not header_length.isdigit() or int(header_length) > len(body):
        raise ApiError(
            400,
            "Inference-Header-Content-Length does not fit the body.",
            [
                wrong(
                    "inference-header-content-length",
                    header_length,
                    f"a whole number <= {len(body)}",
                )
            ],
        )
    size = int(header_length)
    payload = load_json(body[:size])
    inputs = payload.get("inputs") if isinstance(payload, dict) else None
    offset = size
    for tensor in inputs if isinstance(inputs, list) else []:
        length = _binary_size(tensor)
        if length is None:
            continue
        if offset + length > len(body):
            raise ApiError(
                400,
                "The binary tensor data is shorter than its sizes say.",
                [wrong(str(tensor.get("name")), f"{len(body) - offset} bytes", f"{length} bytes")],
            )
        tensor["data"] = _decoded(body[offset : offset + length], tensor)
        offset += length
    return payload


def _binary_size(tensor: Any) -> int | None:
    parameters = tensor.get("parameters") if isinstance(tensor, dict) else None
    size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
    return size if isinstance(size, int) and size >= 0 else None


def _decoded(data: bytes, tensor: dict[str, Any]) -> list[Any]:
    datatype = tensor.get("datatype")
    if datatype == "BYTES":
        return _strings(data, str(tensor.get("name")))
    dtype = _DTYPES.get(str(datatype))
    if dtype is None or len(data) % np.dtype(dtype).itemsize:
        raise ApiError(
            400,
            f"Binary data of input {tensor.get('name')!r} does not fit its datatype {datatype!r}.",
            [
                wrong(
                    str(tensor.get("name")),
                    f"{len(data)} bytes",
                    f"a whole number of {datatype} values",
                )
            ],
        )
    return np.frombuffer(data, dtype=dtype).tolist()


def _strings(data: bytes, name: str) -> list[Any]:
    out, offset = [], 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise ApiError(
                400,
                f"Input {name!r}: a BYTES element is cut short.",
                [wrong(name, "truncated", "4-byte length-prefixed strings")],
            )
        (length,) = struct.unpack_from("<I", data, offset)
        item = data[offset + 4 : offset + 4 + length]
        out.append(item.decode("utf-8", "replace"))
        offset += 4 + length
    return out

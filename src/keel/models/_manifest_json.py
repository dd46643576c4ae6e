"""Plain JSON for the manifest: NumPy scalars and arrays become Python values, anything
else without a JSON form becomes its ``repr`` (a param such as a callable is recorded, not
lost), and non-finite floats become null so the file stays standard JSON.

Example:
    >>> import numpy as np
    >>> jsonable({"n": np.int64(3), "w": np.array([0.5, 0.5]), "bad": float("nan")})
    {'n': 3, 'w': [0.5, 0.5], 'bad': None}
    >>> dumps_json({"b": 1, "a": [1, 2]})
    '{\\n  "a": [\\n    1,\\n    2\\n  ],\\n  "b": 1\\n}\\n'
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["dumps_json", "jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON-compatible Python data."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    return repr(value)


def dumps_json(value: Any) -> str:
    """``value`` as indented, key-sorted, standard JSON (no NaN) ending in a newline, so the
    same content always gives the same bytes and the same SHA-256."""
    return json.dumps(jsonable(value), indent=2, sort_keys=True, allow_nan=False) + "\n"

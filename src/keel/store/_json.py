"""JSON text for the store's ``*_json`` columns: keys sorted (stable rows), numpy values
and sets turned into plain JSON, anything else as its text.

Example:
    >>> import numpy as np
    >>> dumps_plain({"b": np.float64(0.5), "a": np.arange(2), "c": {3}})
    '{"a": [0, 1], "b": 0.5, "c": [3]}'
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps_plain"]


def dumps_plain(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_plain)


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)

"""Checks on what users log: keys, metric values, steps, params and tags."""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

from keel.errors import TrackingError

KEY_MAX = 250
VALUE_MAX = 8000


def check_key(kind: str, key: Any) -> str:
    """Return ``key`` if it can name a metric, param or tag; raise TrackingError otherwise."""
    if not isinstance(key, str) or not key.strip():
        raise TrackingError(f"A {kind} key must be a non-empty string; got {key!r} instead.")
    if len(key) > KEY_MAX:
        raise TrackingError(
            f"The {kind} key {key[:40]!r}… is {len(key)} characters; at most {KEY_MAX} are allowed."
        )
    if key != key.strip() or any(ord(ch) < 32 for ch in key):
        raise TrackingError(
            f"The {kind} key {key!r} has leading/trailing spaces or control characters; "
            "use printable characters only."
        )
    return key


def metric_value(key: str, value: Any) -> float:
    """``value`` as a float: ints, floats and numpy scalars; NaN and ±inf are kept as they are."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    item = getattr(value, "item", None)  # 0-d numpy arrays and tensors
    if callable(item) and getattr(value, "ndim", None) == 0:
        return metric_value(key, item())
    raise TrackingError(
        f"Metric {key!r} must be a real number (int or float; NaN and ±inf are kept); got "
        f"{value!r} ({type(value).__name__}) instead."
    )


def metric_step(key: str, step: Any) -> int:
    try:
        if isinstance(step, bool):
            raise TypeError
        return operator.index(step)
    except TypeError:
        raise TrackingError(
            f"The step of metric {key!r} must be an integer; got {step!r} "
            f"({type(step).__name__}) instead."
        ) from None


def metric_timestamp(key: str, timestamp: Any) -> float:
    ok = isinstance(timestamp, numbers.Real) and not isinstance(timestamp, bool)
    if not ok or not math.isfinite(timestamp):
        raise TrackingError(
            f"The timestamp of metric {key!r} must be finite seconds since the epoch; got "
            f"{timestamp!r} instead."
        )
    return float(timestamp)


def text_value(kind: str, key: str, value: Any) -> str:
    """Params and tags are stored as text: ``str(value)``, at most VALUE_MAX characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > VALUE_MAX:
        raise TrackingError(
            f"The value of {kind} {key!r} is {len(text)} characters; at most {VALUE_MAX} are "
            "allowed. Log long text as an artifact instead."
        )
    return text


def text_values(kind: str, values: dict[str, Any] | None) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise TrackingError(f"{kind}s must be a dict of key to value; got {type(values).__name__}.")
    return {check_key(kind, key): text_value(kind, key, value) for key, value in values.items()}

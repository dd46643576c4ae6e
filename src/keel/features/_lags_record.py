"""The serving hot path of lag features: one record's outputs from its entity's history.

Plain Python over at most ``plan.depth`` kept rows, doing the batch path's arithmetic
(``_lags_compute``) in the same order: the offset k counts up from the newest earlier row,
sums accumulate in that order, std is two-pass. So a record's outputs equal
``transform`` of that record alone, to the bit. The record's own values are never read.

Example:
    >>> import pandas as pd
    >>> from keel.features._history import HistoryLayout, MemoryHistory
    >>> from keel.features._lags_spec import lag_plan
    >>> plan = lag_plan(by="id", time=None, columns=["x"], lags=[1], windows=[2],
    ...                 stats=["mean"], ewm=[], diffs=[], max_history=None)
    >>> history = MemoryHistory()
    >>> history.bind(HistoryLayout("id", None, ("x",)))
    >>> history.append(pd.DataFrame({"id": [1, 1], "x": [2.0, 4.0]}))
    >>> record_function(plan, history, [0.0, 0.0], None)({"id": 1})
    [4.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from keel.errors import FeatureError
from keel.features._lags_keys import entity_key, time_key
from keel.features._lags_spec import LagPlan, Window

if TYPE_CHECKING:
    from keel.features._history import HistoryStore, Row

__all__ = ["record_function"]

_NAN = math.nan
_time_of = itemgetter(0)


def record_function(
    plan: LagPlan, history: HistoryStore, fills: list[float], kind: str | None
) -> Callable[[Mapping[str, Any]], list[float]]:
    """The closure serving calls; ``fills`` are the fitted fill values, ``kind`` the
    fitted kind of the time column ("datetime", "numeric" or None)."""
    by, time, depth = plan.by, plan.time, plan.depth
    fills = [float(f) for f in fills]
    columns = range(len(plan.columns))
    isfinite = math.isfinite

    def features(record: Mapping[str, Any]) -> list[float]:
        key = entity_key(record.get(by))
        if key is None:
            return fills.copy()
        rows = history.recent(key, depth)
        now = _NAN
        if time is not None:
            found = time_key(record.get(time), time)
            if found is None:
                return fills.copy()
            now = _check_kind(found, kind, time)
            rows = [row for row in rows if row[0] <= now]
            rows.sort(key=_time_of)  # as batch sorts by time (stable: ties keep order)
        out: list[float] = []
        for c in columns:
            _column(plan, rows, c, now, out)
        return [v if isfinite(v) else f for v, f in zip(out, fills, strict=True)]

    return features


def _check_kind(found: tuple[float, str], kind: str | None, name: str) -> float:
    if kind is not None and found[1] != kind:
        raise FeatureError(
            f"The time column {name!r} of features.lags held {kind} values in fit. Got a "
            f"{found[1]} value instead.",
            field=name,
        )
    return found[0]


def _column(plan: LagPlan, rows: list[Row], c: int, now: float, out: list[float]) -> None:
    """Append column ``c``'s outputs; ``rows`` are the earlier rows, newest last."""
    values = [row[1][c] for row in reversed(rows)]  # values[k - 1]: the row k back
    n = len(values)
    for k in plan.lags:
        out.append(values[k - 1] if k <= n else _NAN)
    for window in plan.windows:
        _stats(_window(window, rows, values, now, plan.cap), plan.stats, out)
    for weights in plan.weights:
        out.append(_ewm(values, weights))
    for k in plan.diffs:
        out.append(values[0] - values[k] if k < n else _NAN)


def _window(
    window: Window, rows: list[Row], values: list[float], now: float, cap: int
) -> list[float]:
    """The non-missing values in the window, newest first."""
    if window.rows is not None:
        return [v for v in values[: window.rows] if v == v]
    assert window.seconds is not None
    lower = now - window.seconds
    found = []
    for k in range(1, min(cap, len(values)) + 1):
        at = rows[-k][0]
        if at < lower:
            break
        if at < now and values[k - 1] == values[k - 1]:
            found.append(values[k - 1])
    return found


def _stats(window: list[float], stats: tuple[str, ...], out: list[float]) -> None:
    count = len(window)
    total = 0.0
    for v in window:  # in order, one by one, as the batch path adds them
        total += v
    mean = total / count if count else _NAN
    for stat in stats:
        if not count:
            out.append(_NAN)
        elif stat == "mean":
            out.append(mean)
        elif stat == "min":
            out.append(min(window))
        elif stat == "max":
            out.append(max(window))
        elif count < 2:
            out.append(_NAN)
        else:
            squares = 0.0
            for v in window:
                deviation = v - mean
                squares += deviation * deviation
            out.append(math.sqrt(squares / (count - 1.0)))


def _ewm(values: list[float], weights: tuple[float, ...]) -> float:
    num = den = 0.0
    for k in range(min(len(weights), len(values))):
        weight = weights[k]
        if weight == 0.0:
            break
        v = values[k]
        if v == v:
            num += weight * v
            den += weight
    return num / den if den != 0.0 else _NAN

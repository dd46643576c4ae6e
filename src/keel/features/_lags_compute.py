"""The batch computation of lag features over rows sorted by entity, then time.

A row's outputs read only the rows before it in its entity's run of the sorted arrays.
Loops run over the offset k (1 up to the window), never over rows: each step is a few
vectorized operations on all rows at once, O(rows x window) in all. pandas' rolling and
ewm kernels would be O(rows), but they add and remove values in an order a single record
cannot repeat; here the record path (``_lags_record``) does the same arithmetic in the
same order, so a served row equals its batch row to the bit. Measured: one million rows,
windows 7 and 28 with four stats, an ewm and a time window, about a second per column.

Example:
    >>> import numpy as np
    >>> from keel.features._lags_spec import lag_plan
    >>> plan = lag_plan(by="id", time=None, columns=["x"], lags=[1], windows=[2],
    ...                 stats=["mean"], ewm=[], diffs=[1], max_history=None)
    >>> groups, values = np.array([0, 0, 0, 1]), np.array([[1.0], [2.0], [4.0], [8.0]])
    >>> lag_features(plan, groups, None, values).tolist()
    [[nan, nan, nan], [1.0, 1.0, nan], [2.0, 1.5, 1.0], [nan, nan, nan]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from keel.features._lags_spec import LagPlan, Window

__all__ = ["lag_features", "positions"]

#: Which of the rows [k:] read the row k places back; None when none does, for this k and
#: every larger one (the loop stops).
Mask = Callable[[int], np.ndarray | None]


def lag_features(
    plan: LagPlan, groups: np.ndarray, times: np.ndarray | None, values: np.ndarray
) -> np.ndarray:
    """Outputs of sorted rows, shape (n_rows, len(plan.names())); NaN where too little
    history. ``groups`` holds an entity code per row, ``values`` one column per plan column."""
    pos = positions(groups)
    masks = [_window_mask(w, pos, times, plan.cap) for w in plan.windows]
    width = len(plan.suffixes())
    out = np.empty((groups.size, width * len(plan.columns)))
    with np.errstate(all="ignore"):  # overflow to inf is caught later: it becomes the fill
        for c in range(len(plan.columns)):
            for j, block in enumerate(_column(plan, values[:, c], pos, masks)):
                out[:, c * width + j] = block
    return out


def positions(groups: np.ndarray) -> np.ndarray:
    """Each row's position within its run of equal group codes (0 for the first)."""
    m = groups.size
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    return np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))


def _column(
    plan: LagPlan, x: np.ndarray, pos: np.ndarray, masks: list[Mask]
) -> Iterator[np.ndarray]:
    for k in plan.lags:
        yield _lag(x, pos, k)
    for mask in masks:
        yield from _window_stats(x, mask, plan.stats)
    for weights in plan.weights:
        yield _ewm(x, pos, weights)
    if plan.diffs:
        last = _lag(x, pos, 1)
        for k in plan.diffs:
            yield last - _lag(x, pos, k + 1)


def _lag(x: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
    out = np.full(x.size, np.nan)
    if k < x.size:
        out[k:] = np.where(pos[k:] >= k, x[:-k], np.nan)
    return out


def _window_mask(window: Window, pos: np.ndarray, times: np.ndarray | None, cap: int) -> Mask:
    deepest = int(pos.max()) if pos.size else 0
    if window.rows is not None:
        last = min(window.rows, deepest)
        return lambda k: pos[k:] >= k if k <= last else None
    assert times is not None and window.seconds is not None
    lower = times - window.seconds
    last = min(cap, deepest)

    def mask(k: int) -> np.ndarray | None:
        if k > last:
            return None
        before = times[:-k]
        alive = (pos[k:] >= k) & (before >= lower[k:])
        # Sorted by time, so a row k back too old means every row further back is too.
        return alive & (before < times[k:]) if alive.any() else None

    return mask


def _window_stats(x: np.ndarray, mask: Mask, stats: tuple[str, ...]) -> list[np.ndarray]:
    m = x.size
    total, count = np.zeros(m), np.zeros(m)
    low, high = np.full(m, np.inf), np.full(m, -np.inf)
    k = 1
    while (rows := mask(k)) is not None:
        before = x[:-k]
        ok = rows & ~np.isnan(before)
        total[k:] += np.where(ok, before, 0.0)
        count[k:] += ok
        if "min" in stats:
            low[k:] = np.where(ok, np.minimum(low[k:], before), low[k:])
        if "max" in stats:
            high[k:] = np.where(ok, np.maximum(high[k:], before), high[k:])
        k += 1
    empty = count == 0
    mean = np.where(empty, np.nan, total / np.where(empty, 1.0, count))
    found = {
        "mean": mean,
        "min": np.where(empty, np.nan, low),
        "max": np.where(empty, np.nan, high),
    }
    if "std" in stats:
        found["std"] = _std(x, mask, mean, count)
    return [found[s] for s in stats]


def _std(x: np.ndarray, mask: Mask, mean: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Sample standard deviation (ddof 1), two-pass: squared deviations from the mean."""
    squares = np.zeros(x.size)
    k = 1
    while (rows := mask(k)) is not None:
        before = x[:-k]
        deviation = before - mean[k:]
        squares[k:] += np.where(rows & ~np.isnan(before), deviation * deviation, 0.0)
        k += 1
    few = count < 2
    return np.where(few, np.nan, np.sqrt(squares / np.where(few, 1.0, count - 1.0)))


def _ewm(x: np.ndarray, pos: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    """Sum of w_k * x_{-k} over sum of w_k, k = 1.. over the non-missing previous rows."""
    num, den = np.zeros(x.size), np.zeros(x.size)
    deepest = int(pos.max()) if pos.size else 0
    for k in range(1, min(len(weights), deepest) + 1):
        weight = weights[k - 1]
        if weight == 0.0:  # underflowed: nothing further back adds anything
            break
        before = x[:-k]
        ok = (pos[k:] >= k) & ~np.isnan(before)
        num[k:] += np.where(ok, weight * before, 0.0)
        den[k:] += np.where(ok, weight, 0.0)
    empty = den == 0
    return np.where(empty, np.nan, num / np.where(empty, 1.0, den))

"""From an input frame, plus the history kept for its entities, to lag features in the
frame's own row order.

Rows without an entity, or without a time when there is a time column, cannot be placed
among their entity's rows: they get no features (NaN, so the fills) and feed none.

Example:
    >>> import pandas as pd
    >>> from keel.features._lags_spec import lag_plan
    >>> plan = lag_plan(by="id", time="t", columns=["x"], lags=[1], windows=[], stats=[],
    ...                 ewm=[], diffs=[], max_history=None)
    >>> X = pd.DataFrame({"id": [1, 1, 1], "t": [3, 1, 2], "x": [30.0, 10.0, 20.0]})
    >>> batch_features(plan, parse_rows(plan, X), None).ravel().tolist()
    [20.0, nan, 10.0]
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel.errors import FeatureError
from keel.features._lags_compute import lag_features
from keel.features._lags_keys import entity_codes, numeric_values, time_keys
from keel.features._lags_spec import LagPlan

if TYPE_CHECKING:
    from keel.features._history import HistoryStore

__all__ = ["Rows", "batch_features", "parse_rows", "sort_order"]


@dataclass(frozen=True)
class Rows:
    """An input frame as arrays: entity codes into ``keys`` (-1 missing), time keys
    (None without a time column), values (one column per plan column), and which rows
    can be placed (entity and time present)."""

    codes: np.ndarray
    keys: list[Hashable]
    times: np.ndarray | None
    kind: str | None
    values: np.ndarray
    usable: np.ndarray


def parse_rows(plan: LagPlan, X: Any) -> Rows:
    if not isinstance(X, pd.DataFrame):
        raise FeatureError(
            f"features.lags needs a pandas DataFrame. Got {type(X).__name__} instead."
        )
    named = [("by", plan.by), ("time", plan.time), *(("columns", c) for c in plan.columns)]
    for setting, column in named:
        if column is not None and column not in X.columns:
            raise FeatureError(
                f"The {setting!r} setting of features.lags names column {column!r}, which "
                f"the data lacks (it has {[str(c) for c in X.columns]}).",
                field=column,
            )
    codes, keys = entity_codes(X[plan.by])
    times, kind = time_keys(X[plan.time], plan.time) if plan.time else (None, None)
    values = np.column_stack([numeric_values(X[c], c) for c in plan.columns])
    usable = codes >= 0 if times is None else (codes >= 0) & ~np.isnan(times)
    return Rows(codes, keys, times, kind, values.reshape(len(X), -1), usable)


def sort_order(groups: np.ndarray, times: np.ndarray | None) -> np.ndarray:
    """Row order by entity, then time; ties keep their order (both sorts are stable)."""
    if times is None:
        return np.argsort(groups, kind="stable")
    order = np.argsort(times, kind="stable")
    return order[np.argsort(groups[order], kind="stable")]


def batch_features(plan: LagPlan, rows: Rows, history: HistoryStore | None) -> np.ndarray:
    """Outputs of every row, shape (n_rows, n_outputs), in input order; NaN where missing.

    With a history, each entity's kept rows come first (before the frame's rows at the
    same time), so a row reads them as its earlier rows; kept rows later than a row sort
    after it and are never read.
    """
    usable = np.flatnonzero(rows.usable)
    groups, values = rows.codes[usable], rows.values[usable]
    times = None if rows.times is None else rows.times[usable]
    kept = 0
    if history is not None and usable.size:
        past_groups, past_times, past_values = _history_rows(plan, history, rows.keys)
        kept = past_groups.size
        groups = np.concatenate([past_groups, groups])
        values = np.concatenate([past_values, values])
        if times is not None and past_times is not None:
            times = np.concatenate([past_times, times])
    order = sort_order(groups, times)
    sorted_times = None if times is None else times[order]
    found = np.empty((groups.size, len(plan.names())))
    found[order] = lag_features(plan, groups[order], sorted_times, values[order])
    out = np.full((rows.codes.size, found.shape[1]), np.nan)
    out[usable] = found[kept:]
    return out


def _history_rows(
    plan: LagPlan, history: HistoryStore, keys: list[Hashable]
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The kept rows of these entities: codes into ``keys``, time keys, values."""
    frame = history.frame(keys, plan.depth)
    index = pd.Index(keys, dtype=object)
    groups = index.get_indexer(frame[plan.by].to_numpy(dtype=object)).astype(np.int64)
    times = frame[plan.time].to_numpy(dtype=np.float64) if plan.time else None
    values = frame[list(plan.columns)].to_numpy(dtype=np.float64, na_value=np.nan)
    return groups, times, values.reshape(len(frame), len(plan.columns))

"""Leakage-safe per-entity time-series features: lags, rolling windows, ewm and diffs of
numeric columns, each row computed only from strictly earlier rows of its entity.

`LagFeatures` is a column step; its input columns are ``by``, ``time`` (when given) and
``columns``. Rows are ordered per entity by ``time`` (a stable sort: ties keep input
order), or by input order without a time column. For a row, "the row k back" is the k-th
earlier row of its entity in that order. Outputs, per value column, in this order:

- ``<col>_lag<k>``: the value k rows back.
- ``<col>_roll<w>_<stat>`` for each window and stat (``mean``, ``std`` with ddof 1,
  ``min``, ``max``), over the non-missing values of the previous ``w`` rows (an integer
  ``w``) or of the rows with time in ``[t - w, t)`` (a span such as ``"7D"``, named as
  written: ``spend_roll7D_max``; rows at the row's own time are left out).
- ``<col>_ewm<alpha>``: ``sum(w_k x_k) / sum(w_k)`` with ``w_k = (1 - alpha)**(k - 1)``
  over the non-missing previous values x_k, k rows back (pandas' ``adjust=True``).
- ``<col>_diff<k>``: the value 1 row back minus the value k + 1 rows back: a difference
  of earlier values, never of the row's own.

An ewm or a time window reads at most ``max_history`` (default 64) previous rows, in
training too, so a served row equals its training row. Missing and infinite values are
skipped by windows and ewm and make a lag or diff missing. A missing output (too little
history, no value in the window, a std of fewer than 2 values) gets the feature's fill
value: its median over the training rows, 0.0 when it had none. A row without an entity
(or time) reads no history and gets every fill.

``fit_transform`` computes training features within the training rows. ``fit`` also
keeps each entity's newest ``depth`` rows in ``history_`` (the ``history`` given, or a
`MemoryHistory`), replacing what it held; ``depth`` is the most any output reads: the
largest lag, row window and diff + 1, and ``max_history`` when there is an ewm or a time
window. ``transform`` is for rows *after* the training data (test set, batch scoring):
each entity's kept rows come first, and kept rows later than a row are never read;
applying it to the training rows themselves would let each row read its own kept copy.
``record_function`` is the serving path: it reads ``history_`` and equals ``transform``
of the record alone to the bit. It neither appends the record (serving calls
``history_.append`` when the true values become known) nor reads the record's own values.
Times are compared as float seconds (see ``_lags_keys``).

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"id": ["a", "a", "b", "a"], "spend": [1.0, 3.0, 5.0, 8.0]})
    >>> step = LagFeatures(by="id", columns=["spend"], lags=[1], diffs=[1])
    >>> step.fit_transform(X).tolist()   # first rows of an entity get the fills
    [[2.0, 2.0], [1.0, 2.0], [2.0, 2.0], [3.0, 2.0]]
    >>> step.transform(pd.DataFrame({"id": ["a"], "spend": [0.0]})).tolist()
    [[8.0, 5.0]]
    >>> step.record_function()({"id": "a"})
    [8.0, 5.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from keel.errors import FeatureError
from keel.features._contract import check_fitted
from keel.features._history import HistoryLayout, HistoryStore, MemoryHistory
from keel.features._lags_compute import positions
from keel.features._lags_frame import Rows, batch_features, parse_rows, sort_order
from keel.features._lags_record import record_function
from keel.features._lags_spec import LagPlan, lag_plan

__all__ = ["LagFeatures"]


class LagFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Per-entity lags, rolling windows, ewm and diffs from strictly earlier rows
    (module docstring).

    Args:
        by: the entity column.
        time: the time column (datetimes or numbers), or None to order by input order.
        columns: the numeric columns to describe.
        lags: row offsets k >= 1.
        windows: row counts >= 1, or time spans such as ``"7D"`` (need ``time``).
        stats: of ``mean``, ``std``, ``min``, ``max``, computed for every window.
        ewm: smoothing factors (alphas) in (0, 1].
        diffs: offsets k >= 1 of ``lag1 - lag(k + 1)``.
        history: where fit keeps each entity's newest rows; a new MemoryHistory if None.
        max_history: the most previous rows an ewm or time window reads (64 if None).
    """

    def __init__(
        self,
        *,
        by: str,
        time: str | None = None,
        columns: list[str],
        lags: list[int] = [],  # noqa: B006
        windows: list[int | str] = [],  # noqa: B006
        stats: list[str] = ["mean"],  # noqa: B006
        ewm: list[float] = [],  # noqa: B006
        diffs: list[int] = [],  # noqa: B006
        history: HistoryStore | None = None,
        max_history: int | None = None,
    ):
        self.by = by
        self.time = time
        self.columns = columns
        self.lags = lags
        self.windows = windows
        self.stats = stats
        self.ewm = ewm
        self.diffs = diffs
        self.history = history
        self.max_history = max_history

    def fit(self, X: pd.DataFrame, y: Any = None) -> LagFeatures:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, and return the training features, computed within ``X`` alone."""
        plan = self._plan()
        rows = parse_rows(plan, X)
        if any(w.seconds for w in plan.windows) and rows.kind == "numeric":
            raise FeatureError(
                f"The 'windows' setting of features.lags has time spans {list(self.windows)}, "
                f"which need a datetime time column; {plan.time!r} holds numbers.",
                field="windows",
            )
        found = batch_features(plan, rows, None)
        self.plan_ = plan
        self.time_kind_ = rows.kind
        self.fill_values_ = _medians(found)
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        history = self.history if self.history is not None else MemoryHistory(plan.depth)
        history.bind(HistoryLayout(plan.by, plan.time, plan.columns))
        history.append(X.iloc[_tail_rows(rows, plan.depth)], replace=True)
        self.history_ = history
        return self._finish(found)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Features of rows after the training data, reading each entity's kept rows."""
        check_fitted(self)
        rows = parse_rows(self.plan_, X)
        self._check_kind(rows.kind)
        return self._finish(batch_features(self.plan_, rows, self.history_))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``<col>_lag<k>``, ``<col>_roll<w>_<stat>``, ``<col>_ewm<alpha>``, ``<col>_diff<k>``."""
        check_fitted(self)
        if input_features is not None and list(input_features) != list(self.feature_names_in_):
            raise FeatureError(
                f"LagFeatures was fitted on columns {list(self.feature_names_in_)}. "
                f"Got input_features {list(input_features)} instead."
            )
        return np.asarray(self.plan_.names(), dtype=object)

    def record_function(self) -> Callable[[Mapping[str, Any]], list[float]]:
        """One raw record to its output row, from ``history_``: equal to ``transform`` of
        that record alone. It does not append the record to the history."""
        check_fitted(self)
        fills = self.fill_values_.tolist()
        return record_function(self.plan_, self.history_, fills, self.time_kind_)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags

    def _plan(self) -> LagPlan:
        if self.history is not None and not isinstance(self.history, HistoryStore):
            raise FeatureError(
                "The 'history' setting of features.lags must be None or a HistoryStore "
                f"(MemoryHistory, StoreHistory). Got {self.history!r} instead.",
                field="history",
            )
        return lag_plan(by=self.by, time=self.time, columns=self.columns, lags=self.lags,
                        windows=self.windows, stats=self.stats, ewm=self.ewm,
                        diffs=self.diffs, max_history=self.max_history)  # fmt: skip

    def _check_kind(self, kind: str | None) -> None:
        if kind is not None and self.time_kind_ is not None and kind != self.time_kind_:
            raise FeatureError(
                f"The time column {self.plan_.time!r} of features.lags held "
                f"{self.time_kind_} values in fit. Got {kind} values instead.",
                field=self.plan_.time,
            )

    def _finish(self, found: np.ndarray) -> np.ndarray:
        """Missing and non-finite outputs to the fitted fills; C-contiguous float64."""
        bad = ~np.isfinite(found)
        found[bad] = np.broadcast_to(self.fill_values_, found.shape)[bad]
        return np.ascontiguousarray(found, dtype=np.float64)


def _medians(found: np.ndarray) -> np.ndarray:
    """Each output's median over its finite training values; 0.0 when it has none."""
    fills = np.zeros(found.shape[1])
    for j in range(found.shape[1]):
        column = found[:, j]
        column = column[np.isfinite(column)]
        if column.size:
            # The mean of two middle values near the float limit overflows; halves don't.
            with np.errstate(over="ignore"):
                median = np.median(column)
            fills[j] = median if np.isfinite(median) else np.median(column / 2) * 2
    return fills


def _tail_rows(rows: Rows, depth: int) -> np.ndarray:
    """Positions of each entity's newest ``depth`` usable rows, oldest first per entity."""
    usable = np.flatnonzero(rows.usable)
    times = None if rows.times is None else rows.times[usable]
    ordered = usable[sort_order(rows.codes[usable], times)]
    groups = rows.codes[ordered]
    sizes = np.bincount(groups)[groups] if groups.size else groups
    return ordered[positions(groups) >= sizes - depth]

"""The settings of `LagFeatures`, checked and resolved into a plan: windows parsed, output
names, and how many rows of history each entity needs.

Example:
    >>> plan = lag_plan(by="id", time="t", columns=["spend"], lags=[1], windows=[3, "7D"],
    ...                 stats=["mean"], ewm=[0.5], diffs=[], max_history=None)
    >>> plan.names()
    ['spend_lag1', 'spend_roll3_mean', 'spend_roll7D_mean', 'spend_ewm0.5']
    >>> plan.depth   # rows kept per entity: the ewm and the time window read up to 64
    64
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import pandas as pd

from keel.errors import FeatureError

__all__ = ["STATS", "LagPlan", "Window", "lag_plan"]

STATS = ("mean", "std", "min", "max")
DEFAULT_MAX_HISTORY = 64


@dataclass(frozen=True)
class Window:
    """A rolling window: over the previous ``rows`` rows, or over ``[t - seconds, t)``."""

    label: str
    rows: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class LagPlan:
    """What to compute, per value column, in output order: lags, windows x stats, ewm, diffs.

    ``cap`` is the most previous rows an ewm or a time window reads; ``depth`` the rows of
    history kept per entity; ``weights`` the ewm weights ``(1 - alpha) ** j``, ``j < cap``.
    """

    by: str
    time: str | None
    columns: tuple[str, ...]
    lags: tuple[int, ...]
    windows: tuple[Window, ...]
    stats: tuple[str, ...]
    alphas: tuple[float, ...]
    diffs: tuple[int, ...]
    cap: int
    depth: int
    weights: tuple[tuple[float, ...], ...]

    def suffixes(self) -> list[str]:
        suffixes = [f"lag{k}" for k in self.lags]
        suffixes += [f"roll{w.label}_{s}" for w in self.windows for s in self.stats]
        suffixes += [f"ewm{alpha!r}" for alpha in self.alphas]
        return suffixes + [f"diff{k}" for k in self.diffs]

    def names(self) -> list[str]:
        suffixes = self.suffixes()
        return [f"{column}_{suffix}" for column in self.columns for suffix in suffixes]


def lag_plan(
    *,
    by: Any,
    time: Any,
    columns: Any,
    lags: Any,
    windows: Any,
    stats: Any,
    ewm: Any,
    diffs: Any,
    max_history: Any,
) -> LagPlan:
    """Check every setting (FeatureError naming the first bad one) and resolve the plan."""
    by, time = _check_keys(by, time)
    columns = _check_columns(columns, by, time)
    lag_list = _integers("lags", lags)
    diff_list = _integers("diffs", diffs)
    window_list = _check_windows(windows, time)
    stat_list = _check_stats(stats) if window_list else ()
    alphas = _check_alphas(ewm)
    cap = _check_max_history(max_history)
    if not (lag_list or window_list or alphas or diff_list):
        raise FeatureError(
            "features.lags makes no features: give at least one of 'lags', 'windows', "
            "'ewm' or 'diffs'.",
            field="lags",
        )
    needs = [*lag_list, *(w.rows for w in window_list if w.rows), *(d + 1 for d in diff_list)]
    if alphas or any(w.seconds for w in window_list):
        needs.append(cap)
    weights = tuple(tuple((1.0 - a) ** j for j in range(cap)) for a in alphas)
    return LagPlan(by, time, columns, lag_list, window_list, stat_list, alphas, diff_list,
                   cap, max(needs), weights)  # fmt: skip


def _bad(setting: str, expected: str, got: Any) -> FeatureError:
    return FeatureError(
        f"The {setting!r} setting of features.lags must be {expected}. Got {got!r} instead.",
        field=setting,
    )


def _check_keys(by: Any, time: Any) -> tuple[str, str | None]:
    if not isinstance(by, str) or not by:
        raise _bad("by", "the name of the entity column, a non-empty string", by)
    if time is not None and (not isinstance(time, str) or not time or time == by):
        raise _bad("time", f"None or the name of a time column other than {by!r}", time)
    return by, time


def _check_columns(columns: Any, by: str, time: str | None) -> tuple[str, ...]:
    ok = isinstance(columns, list | tuple) and len(columns) > 0
    ok = ok and all(isinstance(c, str) and c and c not in (by, time) for c in columns)
    if not ok or len(set(columns)) != len(columns):
        expected = "a non-empty list of distinct numeric column names, other than 'by' and 'time'"
        raise _bad("columns", expected, columns)
    return tuple(columns)


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _integers(setting: str, values: Any) -> tuple[int, ...]:
    ok = isinstance(values, list | tuple) and all(_is_int(v) and v >= 1 for v in values)
    if not ok or len(set(values)) != len(values):
        raise _bad(setting, "a list of distinct integers >= 1", values)
    return tuple(int(v) for v in values)


def _check_windows(windows: Any, time: str | None) -> tuple[Window, ...]:
    expected = "a list of distinct row counts >= 1 or time spans such as '7D' or '12h'"
    if not isinstance(windows, list | tuple):
        raise _bad("windows", expected, windows)
    found = tuple(_window(w, expected) for w in windows)
    if len({w.label for w in found}) != len(found):
        raise _bad("windows", expected, windows)
    if time is None and any(w.seconds for w in found):
        raise _bad("windows", "row counts when no 'time' column is given", windows)
    return found


def _window(value: Any, expected: str) -> Window:
    if _is_int(value) and value >= 1:
        return Window(str(value), rows=int(value))
    seconds = 0.0
    if isinstance(value, str) and any(ch.isalpha() for ch in value):
        try:
            seconds = pd.Timedelta(value).total_seconds()
        except ValueError:
            seconds = 0.0
    if not seconds > 0:
        raise _bad("windows", expected, value)
    return Window("".join(value.split()), seconds=seconds)


def _check_stats(stats: Any) -> tuple[str, ...]:
    ok = isinstance(stats, list | tuple) and len(stats) > 0 and all(s in STATS for s in stats)
    if not ok or len(set(stats)) != len(stats):
        raise _bad("stats", f"a non-empty list of distinct values from {list(STATS)}", stats)
    return tuple(stats)


def _check_alphas(ewm: Any) -> tuple[float, ...]:
    def ok(a: Any) -> bool:
        return isinstance(a, Real) and not isinstance(a, bool) and 0 < float(a) <= 1

    if not isinstance(ewm, list | tuple) or not all(ok(a) for a in ewm):
        raise _bad("ewm", "a list of distinct smoothing factors (alphas) in (0, 1]", ewm)
    alphas = tuple(float(a) for a in ewm)
    if len(set(alphas)) != len(alphas):
        raise _bad("ewm", "a list of distinct smoothing factors (alphas) in (0, 1]", ewm)
    return alphas


def _check_max_history(max_history: Any) -> int:
    if max_history is None:
        return DEFAULT_MAX_HISTORY
    if not _is_int(max_history) or max_history < 1:
        raise _bad("max_history", "None or an integer >= 1", max_history)
    return int(max_history)

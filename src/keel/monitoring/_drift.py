"""Per-column drift of a current window against a reference, and the report of all columns.

``method="auto"`` picks per column (``AUTO_MIN_ROWS`` = 1,000):

* numeric, both sides with at least 1,000 values: ``wasserstein`` (distance normalised by
  the reference standard deviation, flagged above 0.1);
* numeric, fewer values: ``ks`` (flagged when p < 0.05);
* numeric, reference from a package profile (bins only): ``psi`` (flagged above 0.1);
* categorical, both sides with at least 1,000 values: ``jensenshannon`` (above 0.1);
* categorical, fewer values: ``chi2`` (flagged when p < 0.05).

Large samples make every test significant, so on large windows auto flags by effect size;
a column whose test is significant (p < 0.05) but whose distance is below the threshold
is not flagged, and its note says so.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> reference = pd.DataFrame({"x": rng.normal(size=2_000), "y": rng.normal(size=2_000)})
    >>> current = pd.DataFrame({"x": rng.normal(0.5, size=2_000), "y": rng.normal(size=2_000)})
    >>> report = drift_report(reference, current)
    >>> report.drifted, report.share_drifted
    (['x'], 0.5)
    >>> report.columns[0].method, round(report.columns[0].distance, 2)
    ('wasserstein', 0.55)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from keel.errors import ConfigError, MonitoringError
from keel.monitoring._current import CurrentColumn
from keel.monitoring._methods import DriftMethod, MethodResult, get_method
from keel.monitoring._profile import ColumnProfile, ReferenceProfile, _require_columns

__all__ = ["ColumnDrift", "DriftReport", "drift_report"]

REPORT_SCHEMA_VERSION = 1
#: Below this many values on either side, auto uses a test (KS, chi-square) instead of a
#: distance: small samples make distances noisy, and tests are calibrated for them.
AUTO_MIN_ROWS = 1_000

Thresholds = float | Mapping[str, float] | None


@dataclass(frozen=True)
class ColumnDrift:
    """One column's verdict.

    Attributes:
        statistic: the method's statistic (KS D, raw Wasserstein distance, chi-square, PSI…).
        p_value: the test's p-value; for distance methods the KS (numeric) or chi-square
            (categorical) p-value shown alongside, ``None`` when there is none.
        distance: the effect size (normalised Wasserstein, PSI, JS, KS D, Cramér's V).
        threshold: what ``compares`` (``"distance"`` or ``"p_value"``) was held against.
        note: why a column was or was not flagged, when it is not obvious.
    """

    column: str
    kind: str
    method: str
    statistic: float
    p_value: float | None
    distance: float
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    note: str = ""
    compares: str = "distance"


@dataclass(frozen=True)
class DriftReport:
    """Drift of every compared column; ``to_dict`` is the stable JSON form."""

    columns: list[ColumnDrift]
    method: str
    n_reference: int
    n_current: int
    overlays: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def drifted(self) -> list[str]:
        """Names of the drifted columns, in report order."""
        return [c.column for c in self.columns if c.drifted]

    @property
    def share_drifted(self) -> float:
        """Share of compared columns that drifted (0 with no columns)."""
        return len(self.drifted) / len(self.columns) if self.columns else 0.0

    def metrics(self) -> dict[str, float]:
        """Flat metrics for alert rules: ``drift.share``, ``drift.columns.<name>.distance``."""
        flat = {"drift.share": self.share_drifted, "drift.count": float(len(self.drifted))}
        for c in self.columns:
            flat[f"drift.columns.{c.column}.distance"] = c.distance
        return flat

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (schema_version 1); NaN and inf become ``None``."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "method": self.method,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "share_drifted": self.share_drifted,
            "drifted": self.drifted,
            "columns": [{k: _finite(v) for k, v in asdict(c).items()} for c in self.columns],
        }

    def to_html(self, path: str | os.PathLike[str]) -> None:
        """Write a self-contained HTML page: the table and an overlay per drifted column."""
        from keel.monitoring._drift_html import write_html

        write_html(self, path)


def drift_report(
    reference: ReferenceProfile | pd.DataFrame,
    current: pd.DataFrame,
    *,
    method: str | Mapping[str, str] = "auto",
    thresholds: Thresholds = None,
    columns: Iterable[str] | None = None,
) -> DriftReport:
    """Compare ``current`` to ``reference`` column by column, columns in parallel threads.

    Args:
        reference: a :class:`ReferenceProfile`, or a DataFrame profiled here.
        method: ``"auto"`` (see the module docs), a method name for every column (columns
            it does not apply to fall back to auto, with a note), or a mapping from column
            to method name (the others auto).
        thresholds: a number for every column, or a mapping from column name or method
            name to a number (a column's entry wins). p-value methods flag below it,
            distance methods above it. Defaults: the method's own (0.05 / 0.1).
        columns: the columns to compare (default: every reference column).

    Raises:
        MonitoringError: the window is empty or lacks a reference column.
        ConfigError: an unknown method, a method that does not fit a column, a bad threshold.
    """
    profile = reference if isinstance(reference, ReferenceProfile) else _profile(reference)
    names = list(profile.columns if columns is None else columns)
    _check_current(current, profile, names)
    plans = [_plan(profile[name], current, method, thresholds) for name in names]
    with ThreadPoolExecutor(max_workers=_workers(len(names))) as pool:
        results = list(pool.map(lambda plan: _compare(current, *plan), plans))
    name = method if isinstance(method, str) else "per-column"
    return DriftReport(
        columns=[r[0] for r in results],
        method=name,
        n_reference=profile.row_count,
        n_current=len(current),
        overlays={r[0].column: r[1] for r in results},
    )


def _profile(frame: pd.DataFrame) -> ReferenceProfile:
    if not isinstance(frame, pd.DataFrame):
        raise MonitoringError(
            "The reference must be a ReferenceProfile or a pandas DataFrame. "
            f"Got {type(frame).__name__} instead."
        )
    return ReferenceProfile.from_frame(frame)


def _check_current(current: pd.DataFrame, profile: ReferenceProfile, names: list[str]) -> None:
    unknown = [name for name in names if name not in profile.columns]
    if unknown:
        raise MonitoringError(
            f"The reference profile has no column {unknown[0]!r}; it has {list(profile.columns)}.",
            field=unknown[0],
        )
    _require_columns(current, names, "current")
    if len(current) == 0:
        raise MonitoringError(
            "The current data is empty: there are no rows to compare to the reference. "
            "Check the window (is it too short, or before any prediction was logged?)."
        )


def _plan(
    reference: ColumnProfile, current: pd.DataFrame, method: Any, thresholds: Thresholds
) -> tuple[ColumnProfile, DriftMethod, float, str]:
    chosen, note = _choose(reference, len(current), method)
    return reference, chosen, _threshold(reference.name, chosen, thresholds), note


def _choose(reference: ColumnProfile, n_current: int, method: Any) -> tuple[DriftMethod, str]:
    if isinstance(method, Mapping):
        name = method.get(reference.name, "auto")
        if name != "auto":
            chosen = get_method(name)
            if not _fits(chosen, reference):
                raise ConfigError(
                    f"The 'method' setting of monitor.drift for column {reference.name!r} "
                    f"must fit a {reference.kind} column{_why(reference)}. Got {name!r} "
                    "instead.",
                    field=f"method.{reference.name}",
                )
            return chosen, ""
        return _auto(reference, n_current), ""
    if not isinstance(method, str):
        raise ConfigError(
            "The 'method' setting of monitor.drift must be a method name or a mapping from "
            f"column to method name. Got {method!r} instead.",
            field="method",
        )
    if method == "auto":
        return _auto(reference, n_current), ""
    chosen = get_method(method)
    if _fits(chosen, reference):
        return chosen, ""
    fallback = _auto(reference, n_current)
    return fallback, (
        f"{method} does not apply to this {reference.kind} column{_why(reference)}: "
        f"{fallback.name} used instead."
    )


def _fits(method: DriftMethod, reference: ColumnProfile) -> bool:
    return reference.kind in method.kinds and (not method.needs_values or reference.has_values)


def _why(reference: ColumnProfile) -> str:
    if reference.kind == "numeric" and not reference.has_values:
        return " (its reference is binned only: psi or jensenshannon)"
    return ""


def _auto(reference: ColumnProfile, n_current: int) -> DriftMethod:
    large = min(reference.count, n_current) >= AUTO_MIN_ROWS
    if reference.kind == "categorical":
        return get_method("jensenshannon" if large else "chi2")
    if not reference.has_values:
        return get_method("psi")
    return get_method("wasserstein" if large else "ks")


def _threshold(column: str, method: DriftMethod, thresholds: Thresholds) -> float:
    value: Any = method.default_threshold
    if isinstance(thresholds, Mapping):
        value = thresholds.get(column, thresholds.get(method.name, value))
    elif thresholds is not None:
        value = thresholds
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if ok and method.flags == "below":
        ok = value < 1
    if not ok or not math.isfinite(value):
        expected = "a number between 0 and 1" if method.flags == "below" else "a number > 0"
        raise ConfigError(
            f"The 'thresholds' setting of monitor.drift for column {column!r} ({method.name}) "
            f"must be {expected}. Got {value!r} instead.",
            field=f"thresholds.{column}",
        )
    return float(value)


def _compare(
    current: pd.DataFrame,
    reference: ColumnProfile,
    method: DriftMethod,
    threshold: float,
    note: str,
) -> tuple[ColumnDrift, Any]:
    from keel.monitoring._drift_html import overlay
    from keel.monitoring._drift_notes import verdict

    window = CurrentColumn(reference, current[reference.name])
    result = _empty_result(reference, window) or method.compute(window)
    drifted, why = verdict(method, result, threshold, reference, window)
    n_reference = (
        reference.values.size
        if method.needs_values and reference.values is not None
        else reference.count
    )
    column = ColumnDrift(
        column=reference.name,
        kind=reference.kind,
        method=method.name,
        statistic=float(result.statistic),
        p_value=None if result.p_value is None else float(result.p_value),
        distance=float(result.distance),
        threshold=threshold,
        drifted=drifted,
        n_reference=int(n_reference),
        n_current=window.count,
        note=" ".join(part for part in (note, result.note, why) if part),
        compares="p_value" if method.flags == "below" else "distance",
    )
    return column, overlay(window) if window.count and reference.count else None


def _empty_result(reference: ColumnProfile, window: CurrentColumn) -> MethodResult | None:
    if window.count and reference.count:
        return None
    side = "current window" if not window.count else "reference"
    nan = float("nan")
    return MethodResult(nan, None, nan, f"The {side} has no non-null values in this column.")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _workers(n_columns: int) -> int:
    return max(1, min(n_columns, os.cpu_count() or 1))

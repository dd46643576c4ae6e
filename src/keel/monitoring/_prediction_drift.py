"""Prediction drift (the model's outputs) and target drift (the labels, once they arrive),
with the same per-column statistics as data drift.

Outputs come as the prediction log stores them: one ``output`` column, or ``output_0``,
``output_1``... for a probability per class; arrays and Series are named the same way. A
column of floats (scores, probabilities, regression values) is numeric; any other column
(predicted labels, class codes, text labels) is categorical, so 0/1 labels get a
chi-square or Jensen-Shannon test, not a Wasserstein distance. The verdict is "drifted"
when any output column drifted; ``distance`` is the largest column distance.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.beta(2, 5, size=5_000)
    >>> prediction_drift(reference, rng.beta(2, 5, size=5_000)).drifted
    False
    >>> shifted = prediction_drift(reference, rng.beta(5, 2, size=5_000))
    >>> shifted.drifted, shifted.columns
    (True, ['output'])
    >>> target_drift(rng.integers(0, 2, 3_000), rng.integers(0, 2, 3_000)).report.columns[0].kind
    'categorical'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel.errors import MonitoringError

if TYPE_CHECKING:
    from keel.monitoring._drift import DriftReport
    from keel.monitoring._profile import ReferenceProfile

__all__ = ["OutputDrift", "prediction_drift", "target_drift"]


@dataclass(frozen=True)
class OutputDrift:
    """Drift of a model's outputs ("prediction") or of the labels ("target").

    Attributes:
        kind: "prediction" or "target".
        report: the per-column drift report of the output or label columns.
    """

    kind: str
    report: DriftReport

    @property
    def columns(self) -> list[str]:
        return [c.column for c in self.report.columns]

    @property
    def drifted(self) -> bool:
        """True when any output (or label) column drifted."""
        return bool(self.report.drifted)

    @property
    def distance(self) -> float:
        """The largest column distance (NaN when no column has one)."""
        found = [c.distance for c in self.report.columns if math.isfinite(c.distance)]
        return max(found) if found else math.nan

    def metrics(self) -> dict[str, float]:
        """Flat metrics for alert rules, e.g. ``prediction_drift.distance``."""
        prefix = f"{self.kind}_drift"
        flat = {f"{prefix}.distance": self.distance, f"{prefix}.drifted": float(self.drifted)}
        for c in self.report.columns:
            flat[f"{prefix}.columns.{c.column}.distance"] = c.distance
        return flat

    def to_dict(self) -> dict[str, Any]:
        """The verdict and the per-column report, as plain JSON-able values."""
        distance = self.distance
        return {
            "kind": self.kind,
            "drifted": self.drifted,
            "distance": distance if math.isfinite(distance) else None,
            "report": self.report.to_dict(),
        }


def prediction_drift(
    reference: Any,
    current: Any,
    *,
    columns: Iterable[str] | None = None,
    method: str | Mapping[str, str] = "auto",
    thresholds: float | Mapping[str, float] | None = None,
) -> OutputDrift:
    """Compare the model's outputs on the current window with those on the reference.

    Args:
        reference: a ReferenceProfile holding the output columns, a DataFrame, a Series
            or an array (1-D: one output; 2-D: one column per class probability).
        current: the same outputs on the current window (DataFrame, Series or array).
        columns: the output columns to compare; ``output`` / ``output_<i>`` columns when
            None (every column for frames without them).
        method, thresholds: as :func:`keel.monitoring.drift_report`.

    Raises:
        MonitoringError: an empty window, a missing output column.
    """
    return _output_drift("prediction", reference, current, columns, method, thresholds)


def target_drift(
    reference: Any,
    current: Any,
    *,
    columns: Iterable[str] | None = None,
    method: str | Mapping[str, str] = "auto",
    thresholds: float | Mapping[str, float] | None = None,
) -> OutputDrift:
    """Compare the labels that arrived for the current window with the reference labels.

    Takes the same arguments as :func:`prediction_drift`; a 1-D array or a Series is
    named ``label`` (the prediction log's feedback column) unless it has a name.
    """
    return _output_drift("target", reference, current, columns, method, thresholds)


def _output_drift(
    kind: str, reference: Any, current: Any, columns: Any, method: Any, thresholds: Any
) -> OutputDrift:
    from keel.monitoring._drift import drift_report
    from keel.monitoring._profile import ReferenceProfile

    default = "label" if kind == "target" else "output"
    current_frame = _frame(current, default, "current")
    if isinstance(reference, ReferenceProfile):
        profile = reference
        names = list(columns) if columns is not None else _outputs(current_frame, profile.columns)
    else:
        reference_frame = _frame(reference, default, "reference")
        names = list(columns) if columns is not None else _outputs(reference_frame, None)
        profile = _profile(reference_frame, names)
    if not names:
        raise MonitoringError(f"There are no {kind} columns to compare.", field="columns")
    report = drift_report(
        profile, current_frame, method=method, thresholds=thresholds, columns=names
    )
    return OutputDrift(kind, report)


def _frame(values: Any, default: str, side: str) -> pd.DataFrame:
    if isinstance(values, pd.DataFrame):
        return values
    if isinstance(values, pd.Series):
        return values.to_frame(default if values.name is None else str(values.name))
    array = np.asarray(values)
    if array.ndim == 1:
        return pd.DataFrame({default: array})
    if array.ndim == 2:
        return pd.DataFrame({f"{default}_{i}": array[:, i] for i in range(array.shape[1])})
    raise MonitoringError(
        f"The {side} outputs must be a DataFrame, a Series or a 1-D or 2-D array; got an "
        f"array of shape {array.shape}.",
        field=side,
    )


def _outputs(frame: pd.DataFrame, known: Iterable[str] | None) -> list[str]:
    names = [str(c) for c in frame.columns]
    if known is not None:
        names = [n for n in names if n in set(known)]
    logged = [n for n in names if n in ("output", "label") or _numbered(n)]
    return logged or names


def _numbered(name: str) -> bool:
    head, _, tail = name.rpartition("_")
    return head in ("output", "label") and tail.isdigit()


def _profile(frame: pd.DataFrame, names: list[str]) -> ReferenceProfile:
    from keel.monitoring._profile import ReferenceProfile

    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise MonitoringError(
            f"The reference outputs lack the column(s) {missing}; they have "
            f"{[str(c) for c in frame.columns]}.",
            field="reference",
        )
    categorical = [n for n in names if not pd.api.types.is_float_dtype(frame[n])]
    return ReferenceProfile.from_frame(frame, names, categorical=categorical)

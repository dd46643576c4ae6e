"""Run concept-drift detectors over one stream of per-prediction errors or losses.

``concept_drift`` is what a monitor run calls on the window's error stream (0/1 for a
classifier's mistakes, a loss for a regressor); its ``metrics()`` are the
``concept.<detector>.changes`` names alert rules refer to.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> errors = np.r_[rng.random(30_000) < 0.1, rng.random(10_000) < 0.3].astype(float)
    >>> report = concept_drift(errors)
    >>> report.metrics()
    {'concept.adwin.changes': 1, 'concept.page_hinkley.changes': 1, 'concept.ddm.changes': 1}
    >>> first = report.first_change()
    >>> first.detector, first.index, first.change_point
    ('adwin', 30111, 30021)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from keel.errors import ConfigError, DataError
from keel.monitoring._concept import Change, concept_detector, concept_detectors

__all__ = ["ConceptDriftReport", "DetectorResult", "concept_drift", "error_stream"]

SCHEMA_VERSION = 1
_BINARY_ONLY = ("ddm", "eddm")


@dataclass(frozen=True)
class DetectorResult:
    """What one detector found on the stream.

    Attributes:
        detector: its name.
        changes: the changes, in stream order.
        params: the settings it ran with (its defaults filled in).
        note: why it did not run (for instance DDM on losses), else None.
    """

    detector: str
    changes: list[Change]
    params: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "n_changes": len(self.changes),
            "changes": [c.to_dict() for c in self.changes],
            "params": self.params,
            "note": self.note,
        }


@dataclass(frozen=True)
class ConceptDriftReport:
    """Changes found by each detector on one error stream.

    Attributes:
        n_values: length of the stream.
        binary: True when every value was 0 or 1 (DDM and EDDM need that).
        results: one entry per detector asked for, in order.
    """

    n_values: int
    binary: bool
    results: list[DetectorResult]

    @property
    def drifted(self) -> bool:
        """True when any detector found a change."""
        return any(r.changes for r in self.results)

    def first_change(self) -> Change | None:
        """The earliest alarm over all detectors (ties: the earlier change point)."""
        changes = [c for r in self.results for c in r.changes]
        return min(changes, key=lambda c: (c.index, c.change_point), default=None)

    def metrics(self) -> dict[str, int]:
        """Flat ``concept.<detector>.changes`` counts for alert rules (detectors that ran)."""
        return {
            f"concept.{r.detector}.changes": len(r.changes) for r in self.results if r.note is None
        }

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON shape (``schema_version`` 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "n_values": self.n_values,
            "binary": self.binary,
            "drifted": self.drifted,
            "detectors": [r.to_dict() for r in self.results],
        }


def _stream(errors: npt.ArrayLike) -> npt.NDArray[np.float64]:
    try:
        values = np.asarray(errors, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("The error stream must hold numbers (0/1 errors or losses).") from None
    if values.ndim != 1:
        raise DataError(f"The error stream must be 1-D; got shape {values.shape}.")
    missing = ~np.isfinite(values)
    if missing.any():
        raise DataError(
            f"The error stream holds {int(missing.sum())} missing or infinite "
            f"values (the first at index {int(np.argmax(missing))}); drop the "
            "predictions without feedback before looking for concept drift."
        )
    return values


def concept_drift(
    errors: npt.ArrayLike,
    *,
    detectors: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    backend: str = "keel",
) -> ConceptDriftReport:
    """Run detectors over ``errors`` (in time order) and report where each found changes.

    Args:
        errors: array of shape (n_values,): 0/1 mistakes or non-negative losses, oldest
            first.
        detectors: names to run; default ADWIN and Page-Hinkley, plus DDM when the stream
            is 0/1. EDDM is opt-in: on long stationary streams it raises false alarms
            with any thresholds tried here.
        params: settings per detector name, e.g. ``{"adwin": {"delta": 1e-4}}``.
        backend: ``keel`` (vectorised) or ``river``.

    Raises:
        DataError: the stream is not 1-D numbers or holds missing values.
        ConfigError: an unknown detector or setting.
    """
    values = _stream(errors)
    binary = bool(np.isin(values, (0.0, 1.0)).all())
    names = (
        list(detectors)
        if detectors is not None
        else (["adwin", "page_hinkley"] + (["ddm"] if binary else []))
    )
    settings = dict(params or {})
    unknown = sorted(set(settings) - set(concept_detectors()))
    if unknown:
        raise ConfigError(
            f"The 'params' setting of monitor.concept names unknown detectors "
            f"{unknown}; known: {concept_detectors()}.",
            field="monitor.concept",
        )
    return ConceptDriftReport(
        len(values), binary, [_run(n, values, binary, settings.get(n, {}), backend) for n in names]
    )


def _run(
    name: str,
    values: npt.NDArray[np.float64],
    binary: bool,
    params: Mapping[str, Any],
    backend: str,
) -> DetectorResult:
    detector = concept_detector(name, backend=backend, **params)
    shown = getattr(detector, "river_params", None) or {
        k: v
        for k, v in vars(detector).items()
        if not k.startswith("_") and k not in ("changes", "detector")
    }
    if name in _BINARY_ONLY and not binary:
        return DetectorResult(
            name,
            [],
            shown,
            f"skipped: {name} needs 0/1 errors, the stream holds other values (losses)",
        )
    detector.update_many(values)
    return DetectorResult(name, list(detector.changes), shown)


def error_stream(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, task: str
) -> npt.NDArray[np.float64]:
    """Per-prediction errors: 0/1 mistakes for ``classification``, absolute errors for
    ``regression``.

    Example:
        >>> error_stream([1, 0, 1], [1, 1, 1], task="classification").tolist()
        [0.0, 1.0, 0.0]
        >>> error_stream([1.0, 2.0], [1.5, 1.0], task="regression").tolist()
        [0.5, 1.0]
    """
    truth, predicted = np.asarray(y_true), np.asarray(y_pred)
    if truth.shape != predicted.shape or truth.ndim != 1:
        raise DataError(
            f"Labels and predictions must be 1-D and of one length; got shapes "
            f"{truth.shape} and {predicted.shape}."
        )
    if task == "classification":
        return (truth != predicted).astype(np.float64)
    if task == "regression":
        return np.abs(truth.astype(np.float64) - predicted.astype(np.float64))
    raise ConfigError(
        f"The 'task' setting of monitor.concept must be 'classification' or "
        f"'regression'. Got {task!r} instead.",
        field="monitor.concept.task",
    )

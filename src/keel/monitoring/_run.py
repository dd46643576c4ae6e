"""A monitor run: the latest window of a model's prediction log compared with a reference.

In order, each step skipped (with a note saying why) when its inputs are missing:

1. per-feature data drift against the reference profile, read a few columns at a time;
2. prediction drift of the outputs, when the reference has outputs (a training snapshot
   scored by the model, or the previous window), and target drift of the labels that
   arrived, when the reference has labels (a training snapshot);
3. label-free performance (CBPE) for classifiers, from the logged probabilities;
4. realised performance on the rows whose labels have arrived (feedback by request id);
5. concept-drift detectors on those rows' errors, in time order.

The result's ``metrics()`` is the flat mapping alert rules read: ``window.rows``,
``drift.share``, ``drift.drifted``, ``drift.columns.<name>.distance``,
``prediction_drift.distance``, ``target_drift.distance``, ``estimated.<metric>`` (with
``.low``/``.high``), ``performance.<metric>``, ``concept.<detector>.changes``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from keel.data import Schema
    from keel.monitoring._alerts import AlertOutcome
    from keel.monitoring._cbpe import PerformanceEstimate
    from keel.monitoring._concept_report import ConceptDriftReport
    from keel.monitoring._drift import DriftReport
    from keel.monitoring._multivariate import MultivariateDrift
    from keel.monitoring._performance import PerformanceOverTime
    from keel.monitoring._prediction_drift import OutputDrift
    from keel.monitoring._profile import ReferenceProfile
    from keel.monitoring._spec import MonitorSpec
    from keel.monitoring._window import LogReader, Window

__all__ = ["MonitorReport", "Reference", "run_monitor"]

REPORT_SCHEMA_VERSION = 1
#: Steps reported to a progress callback, in order.
STEPS = ("window", "drift", "predictions", "performance", "concept")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Reference:
    """What a window is compared with: feature profile, output profile (or None), and a
    description (``snapshot 3f2a…``, ``package profile.json``, ``previous window``)."""

    features: ReferenceProfile
    outputs: ReferenceProfile | None
    source: str
    #: A seeded sample of reference rows (features as the log holds them, categorical
    #: decoded) for the domain classifier; None when the reference has no rows.
    sample: pd.DataFrame | None = None
    #: The profile of the reference's labels (column ``label``), for target drift; None
    #: when the reference has none (a package profile, the previous window).
    labels: ReferenceProfile | None = None


@dataclass
class MonitorReport:
    """One monitor run's results; ``to_dict`` is the stored JSON (schema_version 1)."""

    model: str
    version: int | None
    window: Window
    window_setting: str | int
    reference: str
    share_of_features: float
    drift: DriftReport | None = None
    multivariate: MultivariateDrift | None = None
    prediction: OutputDrift | None = None
    target: OutputDrift | None = None
    estimated: PerformanceEstimate | None = None
    performance: PerformanceOverTime | None = None
    concept: ConceptDriftReport | None = None
    labelled: int = 0
    notes: list[str] = field(default_factory=list)
    alerts: list[AlertOutcome] = field(default_factory=list)
    id: int | None = None

    @property
    def drifted(self) -> bool:
        """The data set drifted: its share of drifted features reached share_of_features."""
        return self.drift is not None and self.drift.share_drifted >= self.share_of_features

    def metrics(self) -> dict[str, float]:
        """The flat mapping of dotted names alert rules read (NaN where undefined)."""
        window = self.window
        flat = {
            "window.rows": float(window.rows),
            "window.labelled": float(self.labelled),
            "window.seconds": (window.end_us - window.start_us) / 1e6,
        }
        if self.drift is not None:
            flat.update(self.drift.metrics())
            flat["drift.drifted"] = float(self.drifted)
        if self.multivariate is not None:
            flat["drift.multivariate.auc"] = self.multivariate.auc
            flat["drift.multivariate.threshold"] = self.multivariate.threshold
            flat["drift.multivariate.drifted"] = float(self.multivariate.drifted)
        if self.prediction is not None:
            flat.update(self.prediction.metrics())
        if self.target is not None:
            flat.update(self.target.metrics())
        if self.estimated is not None:
            for metric in self.estimated.metrics:
                flat[f"estimated.{metric.name}"] = metric.value
                flat[f"estimated.{metric.name}.low"] = metric.low
                flat[f"estimated.{metric.name}.high"] = metric.high
        if self.performance is not None:
            flat.update(self.performance.metrics())
        if self.concept is not None:
            flat.update({k: float(v) for k, v in self.concept.metrics().items()})
            flat["concept.drifted"] = float(self.concept.drifted)
        return flat

    def _overlays(self) -> dict[str, Any]:
        """Distribution overlays of the drifted features (for the HTML report)."""
        if self.drift is None:
            return {}
        return {c: self.drift.overlays[c] for c in self.drift.drifted if c in self.drift.overlays}

    def to_dict(self) -> dict[str, Any]:
        window = self.window
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "window": {
                "setting": self.window_setting,
                "start": window.start,
                "end": window.end,
                "rows": window.rows,
                "labelled": self.labelled,
            },
            "reference": self.reference,
            "share_of_features": self.share_of_features,
            "drifted": self.drifted,
            "drift": None if self.drift is None else self.drift.to_dict(),
            "overlays": self._overlays(),
            "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
            "prediction_drift": None if self.prediction is None else self.prediction.to_dict(),
            "target_drift": None if self.target is None else self.target.to_dict(),
            "estimated": None if self.estimated is None else self.estimated.to_dict(),
            "performance": None if self.performance is None else self.performance.to_dict(),
            "concept": None if self.concept is None else self.concept.to_dict(),
            "metrics": {k: _finite(v) for k, v in self.metrics().items()},
            "notes": list(self.notes),
            "alerts": [a.to_dict() for a in self.alerts],
        }


def run_monitor(
    reader: LogReader,
    reference: Reference | Callable[[Window], Reference],
    spec: MonitorSpec,
    *,
    task: str,
    classes: list[Any] | None = None,
    schema: Schema | None = None,
    progress: Progress | None = None,
) -> MonitorReport:
    """Compute a monitoring report on the latest window of ``reader``'s log.

    ``reference`` may be a callable of the window (the previous window needs it).
    ``schema`` (the model's input schema) decodes categorical columns, which the log keeps
    as category codes. ``progress(step, done, total)`` is called as the run goes.

    Raises:
        MonitoringError: nothing is logged (an empty window), or no feature of the log is
            in the reference.
    """
    from keel.monitoring._run_steps import (
        concept_drift,
        data_drift,
        estimate,
        multivariate,
        output_drift,
        performance,
        target_drift,
    )

    tick = progress or (lambda step, done, total: None)
    tick("window", 0, len(STEPS))
    window = reader.latest(rows=spec.window_rows, seconds=spec.window_seconds)
    ref = reference(window) if callable(reference) else reference
    report = MonitorReport(
        reader.model, reader.version, window, spec.window, ref.source, spec.drift.share_of_features
    )
    tick("drift", 1, len(STEPS))
    report.drift = data_drift(reader, window, ref.features, spec, schema, report.notes)
    report.multivariate = multivariate(reader, window, ref, spec, schema, report.notes)
    tick("predictions", 2, len(STEPS))
    predictions = reader.predictions(window)
    report.prediction = output_drift(ref, predictions, window, spec, report.notes)
    report.estimated = estimate(predictions, window, task, report.notes)
    tick("performance", 3, len(STEPS))
    labelled = reader.labelled(window)
    report.labelled = len(labelled)
    report.performance = performance(labelled, task, classes, report.notes)
    report.target = target_drift(ref, labelled, spec, report.notes)
    tick("concept", 4, len(STEPS))
    report.concept = concept_drift(labelled, window, task, classes, spec, report.notes)
    tick("done", len(STEPS), len(STEPS))
    return report


def _finite(value: float) -> float | None:
    return value if isinstance(value, int | float) and math.isfinite(value) else None

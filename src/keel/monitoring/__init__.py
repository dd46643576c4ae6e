"""Monitoring: reference profiles, per-feature drift statistics, model-aware analyses
(multivariate drift, prediction drift, label-free performance estimates), concept drift
on error streams, monitor runs and alerts. Each name loads its module on first use.

Example:
    >>> import numpy as np, pandas as pd
    >>> from keel.monitoring import ReferenceProfile, drift_report
    >>> rng = np.random.default_rng(0)
    >>> reference = ReferenceProfile.from_frame(pd.DataFrame({"x": rng.normal(size=5_000)}))
    >>> drift_report(reference, pd.DataFrame({"x": rng.normal(1.0, size=5_000)})).drifted
    ['x']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "ADWIN",
    "CBPE",
    "DDM",
    "EDDM",
    "Alert",
    "AlertRule",
    "AlertSink",
    "Change",
    "ColumnDrift",
    "ColumnProfile",
    "ConceptDetector",
    "ConceptDriftReport",
    "DetectorResult",
    "DriftMethod",
    "DriftReport",
    "EmailSink",
    "EstimatedMetric",
    "ImportanceDrift",
    "LogReader",
    "LogSink",
    "MemorySink",
    "MonitorReport",
    "MonitorSpec",
    "MultivariateDrift",
    "OutputDrift",
    "PageHinkley",
    "PerformanceEstimate",
    "PerformanceOverTime",
    "ReferenceProfile",
    "WebhookSink",
    "WindowPerformance",
    "check_alerts",
    "concept_detector",
    "concept_detectors",
    "concept_drift",
    "domain_classifier",
    "drift_method",
    "drift_methods",
    "drift_report",
    "error_stream",
    "estimate_performance",
    "importance_drift",
    "join_feedback",
    "parse_condition",
    "performance_over_time",
    "prediction_drift",
    "run_monitor",
    "target_drift",
]

# Public name -> private module, loaded on first use. Other parts add their names here.
_LAZY: dict[str, str] = {
    "MonitorSpec": "keel.monitoring._spec",
    "AlertRule": "keel.monitoring._spec",
    "parse_condition": "keel.monitoring._rules",
    "LogReader": "keel.monitoring._window",
    "MonitorReport": "keel.monitoring._run",
    "run_monitor": "keel.monitoring._run",
    "check_alerts": "keel.monitoring._alerts",
    "Alert": "keel.monitoring._sinks",
    "AlertSink": "keel.monitoring._sinks",
    "EmailSink": "keel.monitoring._sinks",
    "LogSink": "keel.monitoring._sinks",
    "MemorySink": "keel.monitoring._sinks",
    "WebhookSink": "keel.monitoring._sinks",
    "ColumnProfile": "keel.monitoring._profile",
    "ReferenceProfile": "keel.monitoring._profile",
    "DriftMethod": "keel.monitoring._methods",
    "drift_method": "keel.monitoring._methods",
    "drift_methods": "keel.monitoring._methods",
    "ColumnDrift": "keel.monitoring._drift",
    "DriftReport": "keel.monitoring._drift",
    "drift_report": "keel.monitoring._drift",
    "MultivariateDrift": "keel.monitoring._multivariate",
    "domain_classifier": "keel.monitoring._multivariate",
    "OutputDrift": "keel.monitoring._prediction_drift",
    "prediction_drift": "keel.monitoring._prediction_drift",
    "target_drift": "keel.monitoring._prediction_drift",
    "CBPE": "keel.monitoring._cbpe",
    "EstimatedMetric": "keel.monitoring._cbpe",
    "PerformanceEstimate": "keel.monitoring._cbpe",
    "estimate_performance": "keel.monitoring._cbpe",
    "PerformanceOverTime": "keel.monitoring._performance",
    "WindowPerformance": "keel.monitoring._performance",
    "join_feedback": "keel.monitoring._performance",
    "performance_over_time": "keel.monitoring._performance",
    "ImportanceDrift": "keel.monitoring._importance",
    "importance_drift": "keel.monitoring._importance",
    "ADWIN": "keel.monitoring._concept_adwin",
    "DDM": "keel.monitoring._concept_ddm",
    "EDDM": "keel.monitoring._concept_ddm",
    "PageHinkley": "keel.monitoring._concept_ph",
    "Change": "keel.monitoring._concept",
    "ConceptDetector": "keel.monitoring._concept",
    "concept_detector": "keel.monitoring._concept",
    "concept_detectors": "keel.monitoring._concept",
    "ConceptDriftReport": "keel.monitoring._concept_report",
    "DetectorResult": "keel.monitoring._concept_report",
    "concept_drift": "keel.monitoring._concept_report",
    "error_stream": "keel.monitoring._concept_report",
}

if TYPE_CHECKING:
    from keel.monitoring._alerts import check_alerts
    from keel.monitoring._cbpe import (
        CBPE,
        EstimatedMetric,
        PerformanceEstimate,
        estimate_performance,
    )
    from keel.monitoring._concept import (
        Change,
        ConceptDetector,
        concept_detector,
        concept_detectors,
    )
    from keel.monitoring._concept_adwin import ADWIN
    from keel.monitoring._concept_ddm import DDM, EDDM
    from keel.monitoring._concept_ph import PageHinkley
    from keel.monitoring._concept_report import (
        ConceptDriftReport,
        DetectorResult,
        concept_drift,
        error_stream,
    )
    from keel.monitoring._drift import ColumnDrift, DriftReport, drift_report
    from keel.monitoring._importance import ImportanceDrift, importance_drift
    from keel.monitoring._methods import DriftMethod, drift_method, drift_methods
    from keel.monitoring._multivariate import MultivariateDrift, domain_classifier
    from keel.monitoring._performance import (
        PerformanceOverTime,
        WindowPerformance,
        join_feedback,
        performance_over_time,
    )
    from keel.monitoring._prediction_drift import OutputDrift, prediction_drift, target_drift
    from keel.monitoring._profile import ColumnProfile, ReferenceProfile
    from keel.monitoring._rules import parse_condition
    from keel.monitoring._run import MonitorReport, run_monitor
    from keel.monitoring._sinks import (
        Alert,
        AlertSink,
        EmailSink,
        LogSink,
        MemorySink,
        WebhookSink,
    )
    from keel.monitoring._spec import AlertRule, MonitorSpec
    from keel.monitoring._window import LogReader


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.monitoring' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

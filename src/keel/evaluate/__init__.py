"""Evaluation: metrics with confidence intervals, statistical model comparison, fairness,
explanations, error analysis, model cards and reports.

Everything reads an ``Outcomes`` (labels and a model's output on the same rows);
``evaluate_model`` runs every step on a fitted model; ``report_html`` and ``evaluation_card``
write what it found. Heavy parts (SciPy, fairlearn, SHAP, matplotlib) load on first use,
so ``import keel.evaluate`` stays fast (keel.yaml's schema imports this package).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keel.evaluate._spec import EvaluateSpec

__all__ = [
    "CalibrationResult",
    "Comparison",
    "CounterfactualResult",
    "EvaluateSpec",
    "Evaluation",
    "FairnessReport",
    "LocalExplanation",
    "MetricInterval",
    "MetricTable",
    "MitigatedPredictor",
    "MitigationResult",
    "ModelCardContent",
    "Outcomes",
    "PartialDependence",
    "PerformanceProfile",
    "PermutationImportance",
    "ReliabilityCurve",
    "Section",
    "ShapExplanation",
    "Slice",
    "Table",
    "TestResult",
    "ThresholdChoice",
    "bootstrap_counts",
    "calibrate",
    "choose_threshold",
    "compare",
    "compute_metrics",
    "counterfactual",
    "delong",
    "evaluate_model",
    "evaluation_card",
    "expected_calibration_error",
    "explain_one",
    "fairness",
    "fairness_of",
    "five_by_two_cv",
    "five_by_two_t",
    "holm",
    "mcnemar",
    "metric_names",
    "metrics_with_intervals",
    "mitigate",
    "model_card",
    "outcomes",
    "outcomes_of",
    "paired_bootstrap",
    "partial_dependence",
    "performance_profile",
    "permutation_importance",
    "reliability_curve",
    "render_report",
    "report_html",
    "report_sections",
    "shap_values",
    "worst_slices",
]

# Public name -> private module, loaded on first use.
_LAZY: dict[str, str] = {
    "ShapExplanation": "keel.evaluate._explain",
    "shap_values": "keel.evaluate._explain",
    "LocalExplanation": "keel.evaluate._explain_local",
    "explain_one": "keel.evaluate._explain_local",
    "PartialDependence": "keel.evaluate._inspection",
    "PermutationImportance": "keel.evaluate._inspection",
    "partial_dependence": "keel.evaluate._inspection",
    "permutation_importance": "keel.evaluate._inspection",
    "CounterfactualResult": "keel.evaluate._counterfactual",
    "counterfactual": "keel.evaluate._counterfactual",
    "Slice": "keel.evaluate._slices",
    "worst_slices": "keel.evaluate._slices",
    "Outcomes": "keel.evaluate._outcomes",
    "outcomes": "keel.evaluate._outcomes",
    "outcomes_of": "keel.evaluate._outcomes",
    "MetricInterval": "keel.evaluate._metrics",
    "MetricTable": "keel.evaluate._metrics",
    "compute_metrics": "keel.evaluate._metrics",
    "metric_names": "keel.evaluate._metrics",
    "metrics_with_intervals": "keel.evaluate._metrics",
    "bootstrap_counts": "keel.evaluate._bootstrap",
    "mcnemar": "keel.evaluate._paired",
    "paired_bootstrap": "keel.evaluate._paired",
    "TestResult": "keel.evaluate._paired_result",
    "holm": "keel.evaluate._paired_result",
    "five_by_two_cv": "keel.evaluate._paired_cv",
    "five_by_two_t": "keel.evaluate._paired_cv",
    "delong": "keel.evaluate._delong",
    "Comparison": "keel.evaluate._compare",
    "compare": "keel.evaluate._compare",
    "ReliabilityCurve": "keel.evaluate._calibration",
    "expected_calibration_error": "keel.evaluate._calibration",
    "reliability_curve": "keel.evaluate._calibration",
    "CalibrationResult": "keel.evaluate._calibration_fit",
    "calibrate": "keel.evaluate._calibration_fit",
    "ThresholdChoice": "keel.evaluate._thresholds",
    "choose_threshold": "keel.evaluate._thresholds",
    "FairnessReport": "keel.evaluate._fairness",
    "fairness": "keel.evaluate._fairness",
    "fairness_of": "keel.evaluate._fairness",
    "MitigatedPredictor": "keel.evaluate._mitigation",
    "MitigationResult": "keel.evaluate._mitigation",
    "mitigate": "keel.evaluate._mitigation",
    "PerformanceProfile": "keel.evaluate._profile",
    "performance_profile": "keel.evaluate._profile",
    "Evaluation": "keel.evaluate._evaluation",
    "evaluate_model": "keel.evaluate._evaluation",
    "evaluation_card": "keel.evaluate._report_build",
    "report_html": "keel.evaluate._report_build",
    "report_sections": "keel.evaluate._report_build",
    "Section": "keel.evaluate._html",
    "Table": "keel.evaluate._html",
    "render_report": "keel.evaluate._html",
    "ModelCardContent": "keel.evaluate._card",
    "model_card": "keel.evaluate._card",
}

if TYPE_CHECKING:
    from keel.evaluate._bootstrap import bootstrap_counts
    from keel.evaluate._calibration import (
        ReliabilityCurve,
        expected_calibration_error,
        reliability_curve,
    )
    from keel.evaluate._calibration_fit import CalibrationResult, calibrate
    from keel.evaluate._card import ModelCardContent, model_card
    from keel.evaluate._compare import Comparison, compare
    from keel.evaluate._counterfactual import CounterfactualResult, counterfactual
    from keel.evaluate._delong import delong
    from keel.evaluate._evaluation import Evaluation, evaluate_model
    from keel.evaluate._explain import ShapExplanation, shap_values
    from keel.evaluate._explain_local import LocalExplanation, explain_one
    from keel.evaluate._fairness import FairnessReport, fairness, fairness_of
    from keel.evaluate._html import Section, Table, render_report
    from keel.evaluate._inspection import (
        PartialDependence,
        PermutationImportance,
        partial_dependence,
        permutation_importance,
    )
    from keel.evaluate._metrics import (
        MetricInterval,
        MetricTable,
        compute_metrics,
        metric_names,
        metrics_with_intervals,
    )
    from keel.evaluate._mitigation import MitigatedPredictor, MitigationResult, mitigate
    from keel.evaluate._outcomes import Outcomes, outcomes, outcomes_of
    from keel.evaluate._paired import mcnemar, paired_bootstrap
    from keel.evaluate._paired_cv import five_by_two_cv, five_by_two_t
    from keel.evaluate._paired_result import TestResult, holm
    from keel.evaluate._profile import PerformanceProfile, performance_profile
    from keel.evaluate._report_build import evaluation_card, report_html, report_sections
    from keel.evaluate._slices import Slice, worst_slices
    from keel.evaluate._thresholds import ThresholdChoice, choose_threshold


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.evaluate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""One evaluation of a fitted model on labelled rows: every piece of evidence the report,
the model card, the gates and the promotion decision read.

Steps run in order — metrics with intervals, calibration, fairness, explanations, worst
slices, performance — each timed. A step that cannot apply to this model (SHAP for a
model it cannot explain, say) leaves a note that the report prints, never a silent gap.

Example:
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> frame = load_breast_cancer(as_frame=True).frame
    >>> X, y = frame.drop(columns="target"), frame["target"]
    >>> model = LogisticRegression(max_iter=5000).fit(X, y)
    >>> result = evaluate_model(model, X, y, steps=("metrics", "calibration"))
    >>> result.metrics_table["roc_auc"].value > 0.95, "ece" in result.metrics()
    (True, True)
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError
from keel.evaluate._outcomes import Outcomes, outcomes_of
from keel.evaluate._spec import EvaluateSpec

__all__ = ["STEPS", "Evaluation", "evaluate_model"]

STEPS = ("metrics", "calibration", "fairness", "explanations", "slices", "performance")
# Partial dependence is drawn for this many of the most important features.
_DEPENDENCE_FEATURES = 3
# Permutation importance re-predicts every row n_repeats times per column: a sample keeps
# it to seconds on large holdouts.
_IMPORTANCE_ROWS = 2_000


@dataclass
class Evaluation:
    """The evidence on one model; every field but the outcomes and metrics may be None
    (not applicable, or not asked for: ``notes`` says which and why)."""

    outcomes: Outcomes
    spec: EvaluateSpec
    metrics_table: Any = None
    reliability: Any = None
    ece: float | None = None
    calibration: Any = None
    fairness: Any = None
    shap: Any = None
    importance: Any = None
    dependence: list[Any] = field(default_factory=list)
    slices: list[Any] = field(default_factory=list)
    profile: Any = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        return self.outcomes.task

    def metrics(self) -> dict[str, float]:
        """Flat numbers for gates and tracking: each metric with ``_low``/``_high``, the
        calibration error, fairness disparities and the performance profile."""
        flat: dict[str, float] = {}
        for interval in self.metrics_table.intervals if self.metrics_table else ():
            flat[interval.name] = interval.value
            flat[f"{interval.name}_low"], flat[f"{interval.name}_high"] = (
                interval.low,
                interval.high,
            )
        if self.ece is not None:
            flat["ece"] = self.ece
        if self.fairness is not None:
            flat.update(self.fairness.metrics())
        if self.profile is not None:
            flat.update(_profile_metrics(self.profile))
        return flat

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able content of every step that ran."""
        parts = {
            "metrics": self.metrics_table,
            "reliability": self.reliability,
            "calibration": self.calibration,
            "fairness": self.fairness,
            "importance": self.importance,
            "profile": self.profile,
        }
        out: dict[str, Any] = {"task": self.task, "rows": self.outcomes.n}
        out.update({k: v.to_dict() for k, v in parts.items() if v is not None})
        out["ece"] = self.ece
        if self.shap is not None:
            out["shap_mean_abs"] = {k: float(v) for k, v in self.shap.mean_abs().items()}
        out["dependence"] = [d.to_dict() for d in self.dependence]
        out["slices"] = [s.to_dict() for s in self.slices]
        out["seconds"], out["notes"] = dict(self.seconds), list(self.notes)
        return out

    def to_text(self) -> str:
        """A terminal summary: metrics with intervals, then one line per other finding."""
        from keel.evaluate._evaluation_text import evaluation_text

        return evaluation_text(self)


def evaluate_model(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    spec: EvaluateSpec | None = None,
    sensitive: pd.DataFrame | None = None,
    steps: Sequence[str] = STEPS,
    on_step: Callable[..., None] | None = None,
) -> Evaluation:
    """Evaluate a fitted model (keel AutoML or scikit-learn estimator) on rows it did not
    train on.

    Args:
        model: the fitted model; its ``predict_proba``/``predict`` take ``X``.
        X: the input columns, one row per labelled example.
        y: the true labels or values.
        spec: keel.yaml's ``evaluate:`` settings (bootstrap, confidence, seeds...).
        sensitive: the sensitive columns (data.sensitive) for these rows; fairness is
            skipped, with a note, when None.
        steps: which of ``STEPS`` to run.
        on_step: called as each step starts with (name, steps done, number of steps).

    Raises:
        EvaluationError: an unknown step, lengths that differ, labels the model does not
            know, a sensitive frame of other rows.
    """
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise EvaluationError(
            f"Unknown evaluation step(s) {unknown}; the steps are {', '.join(STEPS)}.",
            field="steps",
        )
    spec = spec or EvaluateSpec()
    result = Evaluation(outcomes_of(model, X, y), spec)
    context = _Context(model, X.reset_index(drop=True), sensitive)
    chosen = [s for s in STEPS if s in steps]
    for done, name in enumerate(chosen):
        if on_step is not None:
            on_step(name, done, len(chosen))
        started = time.perf_counter()
        _RUNNERS[name](result, context)
        result.seconds[name] = time.perf_counter() - started
    if on_step is not None:
        on_step("done", len(chosen), len(chosen))
    return result


@dataclass(frozen=True)
class _Context:
    model: Any
    X: pd.DataFrame
    sensitive: pd.DataFrame | None


def _metrics(result: Evaluation, context: _Context) -> None:
    from keel.evaluate._metrics import metrics_with_intervals

    spec = result.spec
    result.metrics_table = metrics_with_intervals(
        result.outcomes, n_resamples=spec.bootstrap, confidence=spec.confidence, seed=spec.seed
    )


def _calibration(result: Evaluation, context: _Context) -> None:
    from keel.evaluate._calibration import expected_calibration_error, reliability_curve
    from keel.evaluate._calibration_fit import calibrate

    scored = result.outcomes
    if not scored.is_classification:
        return
    result.reliability = reliability_curve(scored)
    result.ece = expected_calibration_error(scored)
    try:
        result.calibration = calibrate(scored, seed=result.spec.seed)
    except EvaluationError as exc:  # too few rows of a class to cross-fit
        result.notes.append(f"Calibration was not fitted: {exc}")


def _fairness(result: Evaluation, context: _Context) -> None:
    from keel.evaluate._fairness import fairness

    if context.sensitive is None:
        result.notes.append(
            "Fairness was not assessed: no sensitive columns were declared (data.sensitive)."
        )
        return
    frame = context.sensitive.reset_index(drop=True)
    result.fairness = fairness(result.outcomes, frame, min_group_size=result.spec.min_group_size)


def _explanations(result: Evaluation, context: _Context) -> None:
    from keel.evaluate._explain import shap_values
    from keel.evaluate._inspection import partial_dependence, permutation_importance

    spec, X = result.spec, context.X
    rows = _shap_rows(context.model, X, spec.explain_rows)
    result.shap = _optional(
        result, "SHAP values", lambda: shap_values(context.model, X, max_rows=rows, seed=spec.seed)
    )
    y = _labels(result.outcomes)
    result.importance = _optional(
        result,
        "Permutation importance",
        lambda: permutation_importance(
            context.model, X, y, seed=spec.seed, max_rows=_IMPORTANCE_ROWS
        ),
    )
    for feature in _top_features(result)[:_DEPENDENCE_FEATURES]:
        curve: Any = _optional(
            result,
            f"Partial dependence of {feature}",
            functools.partial(partial_dependence, context.model, X, feature, seed=spec.seed),
        )
        if curve is not None:
            result.dependence.append(curve)


def _slices(result: Evaluation, context: _Context) -> None:
    from keel.evaluate._slices import worst_slices

    result.slices = worst_slices(
        result.outcomes,
        context.X,
        min_size=result.spec.min_group_size,
        confidence=result.spec.confidence,
    )


def _performance(result: Evaluation, context: _Context) -> None:
    from keel.evaluate._profile import performance_profile

    result.profile = _optional(
        result,
        "The performance profile",
        lambda: performance_profile(context.model, context.X, seed=result.spec.seed),
    )


_RUNNERS: dict[str, Callable[[Evaluation, _Context], None]] = {
    "metrics": _metrics,
    "calibration": _calibration,
    "fairness": _fairness,
    "explanations": _explanations,
    "slices": _slices,
    "performance": _performance,
}


def _optional(result: Evaluation, what: str, compute: Callable[[], Any]) -> Any:
    """Run one optional part; a reason it cannot apply becomes a note in the report."""
    try:
        return compute()
    except EvaluationError as exc:
        result.notes.append(f"{what} could not be computed: {exc}")
        return None


def _shap_rows(model: Any, X: pd.DataFrame, limit: int) -> int:
    """TreeSHAP explains 10,000 rows in seconds; the model-agnostic path costs ~0.04 s a row
    (measured on an 8-feature ensemble), so it explains at most ``PERMUTATION_ROWS``."""
    from keel.evaluate._explain import PERMUTATION_ROWS
    from keel.evaluate._explain_subject import subject_of

    try:
        tree = subject_of(model, X).tree is not None
    except EvaluationError:
        return limit  # shap_values itself will say what is wrong
    return limit if tree else min(limit, PERMUTATION_ROWS)


def _labels(scored: Outcomes) -> np.ndarray:
    """The true labels in the model's own terms (original classes, or values)."""
    return scored.classes[scored.y] if scored.is_classification else scored.y


def _top_features(result: Evaluation) -> list[str]:
    if result.shap is not None:
        return [str(name) for name in result.shap.mean_abs().index]
    if result.importance is not None:
        return list(result.importance.features)
    return []


def _profile_metrics(profile: Any) -> dict[str, float]:
    return {
        "latency_p50_ms": profile.latency_p50_ms,
        "latency_p99_ms": profile.latency_p99_ms,
        "batch_rows_per_s": profile.batch_rows_per_s,
        "size_bytes": float(profile.serialized_bytes),
        "peak_memory_mb": profile.peak_memory_mb,
    }

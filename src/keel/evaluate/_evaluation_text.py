"""An Evaluation as lines for a terminal: the metric table, then one line per finding."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keel.evaluate._evaluation import Evaluation

__all__ = ["evaluation_text"]

# Features and slices listed in the terminal; the report has them all.
_TOP = 5


def evaluation_text(evaluation: Evaluation) -> str:
    lines = [evaluation.metrics_table.to_text()] if evaluation.metrics_table else []
    lines += _calibration(evaluation) + _fairness(evaluation) + _explanations(evaluation)
    lines += _slices(evaluation) + _performance(evaluation)
    lines += [f"note: {note}" for note in evaluation.notes]
    return "\n".join(lines)


def _calibration(evaluation: Evaluation) -> list[str]:
    if evaluation.ece is None:
        return []
    chosen = evaluation.calibration.chosen if evaluation.calibration else "not fitted"
    return [f"\ncalibration: ECE {evaluation.ece:.4f}; calibrator that helps: {chosen}"]


def _fairness(evaluation: Evaluation) -> list[str]:
    if evaluation.fairness is None:
        return []
    return ["", evaluation.fairness.to_text()]


def _explanations(evaluation: Evaluation) -> list[str]:
    if evaluation.shap is None:
        return []
    top = evaluation.shap.mean_abs().head(_TOP)
    ranked = ", ".join(f"{name} {value:.3g}" for name, value in top.items())
    return [f"\nmost important (mean |SHAP|, {evaluation.shap.output_space}): {ranked}"]


def _slices(evaluation: Evaluation) -> list[str]:
    if not evaluation.slices:
        return []
    lines = ["\nworst slices (error vs overall, size):"]
    lines += [
        f"  {s.description}: {s.error:.3g} vs {s.overall_error:.3g} ({s.size:,} rows)"
        for s in evaluation.slices[:_TOP]
    ]
    return lines


def _performance(evaluation: Evaluation) -> list[str]:
    profile = evaluation.profile
    if profile is None:
        return []
    return [
        f"\nperformance: one record p50 {profile.latency_p50_ms:.3g} ms, p99 "
        f"{profile.latency_p99_ms:.3g} ms; batch {profile.batch_rows_per_s:,.0f} rows/s; "
        f"{profile.serialized_bytes / 1024:,.0f} KiB serialized"
    ]

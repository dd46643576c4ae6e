"""An Evaluation turned into the HTML report's sections (tables and plots) and the model card.

``meta`` is the provenance the caller knows (project, run id, data snapshot, gates...):
everything printed comes from it or from the evaluation, nothing is made up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from keel.evaluate._evaluation import Evaluation
from keel.evaluate._html import Section, Table, render_report

__all__ = ["evaluation_card", "report_html", "report_sections"]


def report_html(evaluation: Evaluation, meta: Mapping[str, Any]) -> str:
    """The self-contained HTML report of ``evaluation``."""
    title = f"Evaluation of {meta.get('model') or 'a model'} ({evaluation.task})"
    shown = {
        "project": meta.get("project"),
        "run id": meta.get("run"),
        "data": meta.get("data"),
        "data snapshot": _first(meta.get("snapshots")),
        "gates": meta.get("gates") or None,
        "keel version": meta.get("keel"),
    }
    return render_report(title, report_sections(evaluation), meta=shown)


def report_sections(evaluation: Evaluation) -> list[Section]:
    """Metrics, calibration, fairness, explanations, error analysis, performance, notes."""
    parts = [
        _metrics(evaluation),
        _calibration(evaluation),
        _fairness(evaluation),
        _explanations(evaluation),
        _slices(evaluation),
        _performance(evaluation),
    ]
    sections = [part for part in parts if part is not None]
    if evaluation.notes:
        sections.append(Section("Notes", notes=list(evaluation.notes)))
    return sections


def evaluation_card(evaluation: Evaluation, meta: Mapping[str, Any]) -> str:
    """The Markdown model card (Mitchell et al. 2019) of ``evaluation``."""
    from keel.evaluate._card import ModelCardContent
    from keel.evaluate._card import model_card as render_card

    table = evaluation.metrics_table
    metrics = [
        {"name": i.name, "value": i.value, "low": i.low, "high": i.high}
        for i in (table.intervals if table else ())
    ]
    card = ModelCardContent(
        model_name=str(meta.get("project") or "model"),
        run_id=meta.get("run"),
        task=evaluation.task,
        algorithm=meta.get("model") or None,
        keel_version=meta.get("keel"),
        data_snapshot=_first(meta.get("snapshots")),
        evaluation_rows=evaluation.outcomes.n,
        evaluation_data=meta.get("data"),
        metrics=metrics,
        interval=_interval_words(evaluation) if table else None,
        sensitive=list(evaluation.fairness.columns) if evaluation.fairness else [],
        fairness=_fairness_rows(evaluation),
        caveats=_caveats(evaluation, meta),
    )
    return render_card(card)


def _metrics(evaluation: Evaluation) -> Section:
    from keel.evaluate._plots_curves import pr_curve_plot, roc_curve_plot
    from keel.evaluate._plots_errors import confusion_matrix_plot, residuals_plot

    scored, table = evaluation.outcomes, evaluation.metrics_table
    rows = [
        [i.name, i.value, i.low, i.high, "higher" if i.greater_is_better else "lower"]
        for i in table.intervals
    ]
    if scored.is_classification:
        plots = [roc_curve_plot(scored), pr_curve_plot(scored), confusion_matrix_plot(scored)]
    else:
        plots = [residuals_plot(scored, seed=evaluation.spec.seed)]
    return Section(
        "Metrics",
        paragraphs=[f"{scored.n:,} held-out rows; {_interval_words(evaluation)}."],
        tables=[Table("Metrics", ["metric", "value", "low", "high", "better"], rows)],
        plots=plots,
    )


def _calibration(evaluation: Evaluation) -> Section | None:
    from keel.evaluate._plots_curves import calibration_plot

    curve, fitted = evaluation.reliability, evaluation.calibration
    if curve is None:
        return None
    plot = calibration_plot(curve.mean_predicted, curve.observed_frequency, curve.count)
    paragraphs = [f"Expected calibration error: {evaluation.ece:.4f} ({curve.kind})."]
    tables = []
    if fitted is not None:
        rows = [["uncalibrated", *fitted.before.values()]]
        rows += [[name, *scores.values()] for name, scores in fitted.after.items()]
        tables.append(Table("Cross-fitted calibrators", ["method", *fitted.before], rows))
        paragraphs.append(_calibration_advice(fitted.chosen))
    return Section("Calibration", paragraphs=paragraphs, tables=tables, plots=[plot])


def _fairness(evaluation: Evaluation) -> Section | None:
    from keel.evaluate._plots_groups import fairness_plot

    report = evaluation.fairness
    if report is None:
        return None
    groups = report.groups()
    flagged = groups[groups["flag"].astype(bool)]
    notes = [
        f"{row.scope}: group {row.group} is flagged: {row.flag}" for row in flagged.itertuples()
    ]
    summary = [[name, value] for name, value in report.metrics().items() if "[" not in name]
    plot_frame = groups.assign(flag=groups["flag"].astype(bool))
    metrics = [
        c
        for c in ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy", "mae")
        if c in groups.columns
    ]
    return Section(
        "Fairness",
        paragraphs=[
            f"Sensitive columns: {', '.join(report.columns)}; groups under "
            f"{report.min_group_size} rows are flagged and left out of summaries."
        ],
        tables=[
            Table(
                "Disparities (worst over columns and their intersection)",
                ["metric", "value"],
                summary,
            ),
            Table.from_frame(groups, "Per group"),
        ],
        plots=[fairness_plot(plot_frame, metrics)] if metrics else [],
        notes=notes,
    )


def _explanations(evaluation: Evaluation) -> Section | None:
    from keel.evaluate._plots_explain import importance_plot
    from keel.evaluate._plots_shap import shap_summary_plot

    plots, paragraphs = [], []
    shap = evaluation.shap
    if shap is not None:
        values = shap.values if shap.values.ndim == 2 else shap.values[:, :, -1]
        plots.append(
            shap_summary_plot(values, shap.data, shap.feature_names, seed=evaluation.spec.seed)
        )
        paragraphs.append(
            f"SHAP values ({shap.explainer} explainer, {shap.output_space}) of "
            f"{len(shap.data):,} rows, in the model's input columns."
        )
    importance = evaluation.importance
    if importance is not None:
        plots.append(importance_plot(importance.features, importance.mean, importance.std))
        paragraphs.append(
            f"Permutation importance: the drop in {importance.scoring} when "
            f"a column is shuffled ({importance.n_repeats} repeats)."
        )
    plots.extend(_dependence_plot(curve) for curve in evaluation.dependence)
    if not plots:
        return None
    return Section("Explanations", paragraphs=paragraphs, plots=plots)


def _dependence_plot(curve: Any) -> Any:
    """Partial dependence with ICE lines; for a multiclass model, of the class whose
    probability moves most along the grid."""
    from keel.evaluate._plots_explain import pdp_plot

    average, individual = curve.average, curve.individual
    if average.ndim == 2:
        k = int(np.argmax(np.ptp(average, axis=1)))
        average, individual = average[k], individual[k]
    return pdp_plot(curve.grid, average, individual, feature=curve.feature)


def _slices(evaluation: Evaluation) -> Section | None:
    from keel.evaluate._plots_groups import slices_plot

    if not evaluation.slices:
        return None
    records = [s.to_dict() for s in evaluation.slices]
    columns = ["description", "size", "error", "overall_error", "gap", "ci_low", "ci_high"]
    rows = [[r.get(c) for c in columns] for r in records]
    return Section(
        "Error analysis",
        paragraphs=[
            "Slices (single features and pairs, binned) where the model errs most, "
            "ranked by the error gap weighted by the slice's share of rows."
        ],
        tables=[Table("Worst slices", columns, rows)],
        plots=[slices_plot(records)],
    )


def _performance(evaluation: Evaluation) -> Section | None:
    profile = evaluation.profile
    if profile is None:
        return None
    rows = [[key, value] for key, value in profile.to_dict().items()]
    return Section("Performance", tables=[Table("Performance profile", ["measure", "value"], rows)])


def _interval_words(evaluation: Evaluation) -> str:
    table = evaluation.metrics_table
    return (
        f"{table.confidence:.0%} bootstrap percentile intervals from {table.n_resamples:,} "
        f"resamples (seed {table.seed})"
    )


def _calibration_advice(chosen: str) -> str:
    if chosen == "none":
        return "No calibrator improved the cross-fitted log loss: the probabilities are kept."
    return f"A {chosen} calibrator improved the cross-fitted log loss: consider applying it."


def _fairness_rows(evaluation: Evaluation) -> pd.DataFrame | list[Any]:
    if evaluation.fairness is None:
        return []
    keep = [
        "scope",
        "group",
        "count",
        "selection_rate",
        "true_positive_rate",
        "false_positive_rate",
        "accuracy",
        "mae",
        "flag",
    ]
    groups = evaluation.fairness.groups()
    return groups[[c for c in keep if c in groups.columns]]


def _caveats(evaluation: Evaluation, meta: Mapping[str, Any]) -> list[str]:
    caveats = list(evaluation.notes)
    if meta.get("gates") == "failed":
        caveats.append("The model failed one or more of keel.yaml's gates when it was trained.")
    if evaluation.calibration is not None and evaluation.calibration.chosen != "none":
        caveats.append(_calibration_advice(evaluation.calibration.chosen))
    if evaluation.fairness is not None:
        flagged = evaluation.fairness.groups()["flag"].astype(bool)
        if flagged.any():
            caveats.append(
                f"{int(flagged.sum())} group(s) were too small or one-sided to "
                "judge; their fairness numbers are not reliable."
            )
    caveats.extend(
        f"The model errs most on {s.description} (error {s.error:.3g} vs "
        f"{s.overall_error:.3g} overall)."
        for s in evaluation.slices[:3]
    )
    return caveats


def _first(values: Any) -> str | None:
    return str(values[0]) if values else None

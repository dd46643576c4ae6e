"""The steps of a monitor run (see keel.monitoring._run), each adding notes when it is
skipped: data drift a few columns at a time, the domain classifier on seeded samples,
prediction drift, CBPE, realised performance, concept detectors on the error stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from keel.errors import MonitoringError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from keel.data import Schema
    from keel.monitoring._cbpe import PerformanceEstimate
    from keel.monitoring._concept_report import ConceptDriftReport
    from keel.monitoring._drift import DriftReport
    from keel.monitoring._multivariate import MultivariateDrift
    from keel.monitoring._performance import PerformanceOverTime
    from keel.monitoring._prediction_drift import OutputDrift
    from keel.monitoring._profile import ReferenceProfile
    from keel.monitoring._run import Reference
    from keel.monitoring._spec import MonitorSpec
    from keel.monitoring._window import LogReader, Window

__all__ = [
    "concept_drift",
    "data_drift",
    "decode_categories",
    "estimate",
    "multivariate",
    "output_drift",
    "performance",
    "target_drift",
]


def data_drift(
    reader: LogReader,
    window: Window,
    profile: ReferenceProfile,
    spec: MonitorSpec,
    schema: Schema | None,
    notes: list[str],
) -> DriftReport:
    from keel.monitoring._drift import DriftReport, drift_report

    names = [c for c in window.features if c in profile.columns]
    unseen = [c for c in window.features if c not in profile.columns]
    if unseen:
        notes.append(f"Not in the reference, so not compared: {', '.join(unseen[:10])}.")
    if not names:
        raise MonitoringError(
            f"None of the logged columns ({', '.join(window.features[:10])}) is in the "
            f"reference ({', '.join(list(profile.columns)[:10])}): nothing to compare.",
            field="reference",
        )
    columns, overlays = [], {}
    for chunk in reader.chunks(window, names, spec.columns_per_chunk):
        found = drift_report(
            profile,
            decode_categories(chunk, schema),
            columns=list(chunk.columns),
            method=spec.drift.method,
            thresholds=spec.drift.thresholds,
        )
        columns.extend(found.columns)
        overlays.update(found.overlays)
    return DriftReport(columns, spec.drift.method, profile.row_count, window.rows, overlays)


def multivariate(
    reader: LogReader,
    window: Window,
    reference: Reference,
    spec: MonitorSpec,
    schema: Schema | None,
    notes: list[str],
) -> MultivariateDrift | None:
    from keel.monitoring._multivariate import domain_classifier

    if not spec.drift.multivariate:
        return None
    if reference.sample is None:
        notes.append(f"Multivariate drift skipped: the reference ({reference.source}) has no rows.")
        return None
    names = [c for c in window.features if c in reference.sample.columns]
    rows = spec.drift.multivariate_rows
    current = decode_categories(reader.sample(window, names, rows), schema)
    try:
        return domain_classifier(reference.sample, current, columns=names, max_rows=rows)
    except MonitoringError as exc:
        notes.append(f"Multivariate drift skipped: {exc}")
        return None


def decode_categories(chunk: pd.DataFrame, schema: Schema | None) -> pd.DataFrame:
    """Categorical columns back from the log's codes (index in the schema's categories;
    -1 unknown) to their text, as the reference has them."""
    if schema is None:
        return chunk
    import numpy as np

    for column in schema.features():
        if column.name in chunk.columns and column.type == "categorical" and column.categories:
            names = np.array([*column.categories, "<unknown>"], dtype=object)
            codes = chunk[column.name].to_numpy(dtype=np.float64)
            present = ~np.isnan(codes)
            text = np.full(codes.shape, None, dtype=object)
            text[present] = names[codes[present].astype(np.int64)]  # -1 is the last
            chunk[column.name] = text
    return chunk


def output_drift(
    reference: Reference,
    predictions: pd.DataFrame,
    window: Window,
    spec: MonitorSpec,
    notes: list[str],
) -> OutputDrift | None:
    from keel.monitoring._prediction_drift import prediction_drift

    if reference.outputs is None:
        notes.append(
            f"Prediction drift skipped: the reference ({reference.source}) has no outputs."
        )
        return None
    outputs = [c for c in window.outputs if c in reference.outputs.columns]
    if not outputs:
        notes.append("Prediction drift skipped: the reference's outputs are not the log's.")
        return None
    return prediction_drift(
        reference.outputs, predictions[outputs], columns=outputs, thresholds=spec.drift.thresholds
    )


def target_drift(
    reference: Reference, labelled: pd.DataFrame, spec: MonitorSpec, notes: list[str]
) -> OutputDrift | None:
    """The labels that arrived for the window against the reference's labels."""
    from keel.monitoring._prediction_drift import target_drift as compare

    if reference.labels is None or labelled.empty:
        if reference.labels is None and not labelled.empty:
            notes.append(f"Target drift skipped: the reference ({reference.source}) has no labels.")
        return None
    label = reference.labels.columns["label"]
    current = labelled["label"]
    current = current.astype(str) if label.kind == "categorical" else current.astype("float64")
    try:
        return compare(reference.labels, current.rename("label"), thresholds=spec.drift.thresholds)
    except MonitoringError as exc:
        notes.append(f"Target drift skipped: {exc}")
        return None


def estimate(
    predictions: pd.DataFrame, window: Window, task: str, notes: list[str]
) -> PerformanceEstimate | None:
    from keel.monitoring._cbpe import estimate_performance

    if task not in ("binary", "multiclass") or len(window.outputs) < 2:
        return None
    try:
        return estimate_performance(predictions[window.outputs].to_numpy(), seed=0)
    except MonitoringError as exc:
        notes.append(f"Performance estimate (CBPE) skipped: {exc}")
        return None


def performance(
    labelled: pd.DataFrame, task: str, classes: list[Any] | None, notes: list[str]
) -> PerformanceOverTime | None:
    from keel.monitoring._performance import performance_over_time

    if labelled.empty:
        notes.append("No labels have arrived for this window: no realised performance.")
        return None
    frame = labelled.assign(at=_timestamps(labelled["at"]))
    known = None if classes is None else [str(c) for c in classes]
    try:
        found = performance_over_time(
            frame, task=task, window=len(frame), classes=known, n_resamples=200
        )
    except MonitoringError as exc:
        notes.append(f"Realised performance skipped: {exc}")
        return None
    notes.extend(w.note for w in found.windows if w.note)
    return found


def concept_drift(
    labelled: pd.DataFrame,
    window: Window,
    task: str,
    classes: list[Any] | None,
    spec: MonitorSpec,
    notes: list[str],
) -> ConceptDriftReport | None:
    from keel.monitoring._concept_report import concept_drift as detect

    settings = spec.concept
    if len(labelled) < settings.min_labels:
        if len(labelled):
            notes.append(
                f"Concept drift skipped: {len(labelled)} labelled rows, below "
                f"monitor.concept.min_labels={settings.min_labels}."
            )
        return None
    errors = _errors(labelled, window, task, classes)
    params: dict[str, dict[str, float]] = {str(k): dict(v) for k, v in settings.params.items()}
    return detect(errors, detectors=settings.detectors, params=params)


def _errors(
    labelled: pd.DataFrame, window: Window, task: str, classes: list[Any] | None
) -> np.ndarray:
    """Per-row error in time order: 0/1 misclassification, or absolute error."""
    import numpy as np

    outputs = labelled[window.outputs].to_numpy(dtype=np.float64)
    if task == "regression":
        truth = labelled["label"].astype(float).to_numpy()
        return np.asarray(np.abs(outputs.reshape(len(labelled), -1)[:, 0] - truth))
    names = np.array([str(c) for c in classes] if classes else list(range(outputs.shape[1])))
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        predicted = names[(outputs.reshape(-1) >= 0.5).astype(int)]
    else:
        predicted = names[outputs.argmax(axis=1)]
    return np.asarray(predicted != labelled["label"].astype(str).to_numpy(), dtype=np.float64)


def _timestamps(seconds: pd.Series) -> pd.Series:
    import pandas as pd

    return pd.to_datetime(seconds, unit="s", utc=True)

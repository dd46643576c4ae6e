"""The monitoring part of the Workspace façade: monitor runs over the prediction log with
keel.yaml's ``monitor:`` (arguments over it), stored reports and alerts, and each model
version's reference profile, computed once and cached as an artifact."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.config import KeelConfig
from keel.errors import MonitoringError
from keel.store import SQLStore
from keel.store._artifacts import ArtifactStore

if TYPE_CHECKING:
    import pandas as pd

    from keel.data import Schema
    from keel.models import ModelPackage, Registry
    from keel.models._registry_records import ModelVersion
    from keel.monitoring import ReferenceProfile
    from keel.monitoring._run import MonitorReport, Progress, Reference
    from keel.monitoring._sinks import AlertSink
    from keel.monitoring._spec import MonitorSpec
    from keel.monitoring._window import LogReader, Window
    from keel.store._sql_monitoring import MonitorReportRow

#: The registry version tag holding the digest of the cached reference profile (.npz).
REFERENCE_TAG = "keel.monitoring.reference"
#: ... and of the reference rows the domain classifier samples from (Parquet).
SAMPLE_TAG = "keel.monitoring.reference_sample"
#: Rows of a training snapshot profiled and scored for the reference (a seeded sample).
REFERENCE_ROWS = 200_000
#: Rows of the snapshot kept for the domain classifier.
SAMPLE_ROWS = 20_000


class MonitoringMethods:
    """Mixed into Workspace, which provides these attributes."""

    root: Path
    config: KeelConfig
    store: SQLStore
    artifacts: ArtifactStore

    if TYPE_CHECKING:  # provided by the other mixins

        @property
        def registry(self) -> Registry: ...

        @property
        def prediction_log_folder(self) -> Path: ...

        def model_package(self, ref: str) -> ModelPackage: ...

        def load_snapshot(self, snapshot_id: str) -> tuple[pd.DataFrame, Schema]: ...

    def monitor_spec(self, overrides: Mapping[str, Any] | None = None) -> MonitorSpec:
        """keel.yaml's ``monitor:`` with ``overrides`` (e.g. ``{"window": 10000}``) over it."""
        from keel.monitoring._spec import parse_monitor_spec

        base = self.config.monitor.model_dump(exclude_unset=True)
        return parse_monitor_spec({**base, **{k: v for k, v in (overrides or {}).items()}})

    def monitor_run(
        self,
        model: str | None = None,
        *,
        window: str | int | None = None,
        reference: str | None = None,
        alerts: bool = True,
        sinks: Mapping[str, AlertSink] | None = None,
        progress: Progress | None = None,
        now: float | None = None,
    ) -> MonitorReport:
        """Compute a monitoring report on the latest window of ``model``'s prediction log,
        store it, and check keel.yaml's alert rules on it.

        ``model`` is a registry ref (``churn``, ``churn/3``, ``churn@champion``; default
        ``monitor.model``, else the project name); the log of the version it resolves to is
        read. ``window`` and ``reference`` override keel.yaml's.

        Raises:
            MonitoringError: nothing is logged for the version, or no reference exists.
            RegistryError: an unknown model.
        """
        from keel.monitoring._alerts import check_alerts
        from keel.monitoring._run import run_monitor
        from keel.monitoring._window import LogReader

        overrides = {k: v for k, v in (("window", window), ("reference", reference)) if v}
        spec = self.monitor_spec(overrides)
        found = self.registry.resolve(model or spec.model or self.config.project)
        package = self.model_package(f"{found.name}/{found.version}")
        reader = LogReader(
            self.prediction_log_folder, found.name, found.version, max_rows=spec.max_rows
        )
        chosen = self._monitor_reference(found, package, reader, spec)
        report = run_monitor(
            reader,
            chosen,
            spec,
            task=package.task,
            classes=package.classes,
            schema=package.schema,
            progress=progress,
        )
        row = self._store_report(report, now)
        report.id = row.id
        if alerts and spec.alerts:
            report.alerts = check_alerts(self.store, spec.alerts, row, now=now, sinks=sinks)
        return report

    def monitor_reports(
        self, model: str | None = None, *, limit: int | None = None
    ) -> list[MonitorReportRow]:
        """Stored monitor reports (metrics only, no bodies), newest first."""
        return self.store.monitor_reports(model, limit=limit)

    def monitor_report(
        self, report_id: int | None = None, *, model: str | None = None
    ) -> MonitorReportRow:
        """One stored report with its body: by id, else the newest (of ``model``).

        Raises:
            MonitoringError: there is no such report.
        """
        if report_id is None:
            newest = self.store.monitor_reports(model, limit=1)
            report_id = newest[0].id if newest else None
        found = None if report_id is None else self.store.monitor_report(report_id)
        if found is None:
            what = f"report {report_id}" if report_id is not None else "report yet"
            raise MonitoringError(
                f"There is no monitor {what}{f' for {model}' if model else ''}. "
                "Run `keel monitor run MODEL` first.",
                field="report",
            )
        return found

    def monitor_html(
        self,
        path: str | os.PathLike[str],
        report_id: int | None = None,
        *,
        model: str | None = None,
    ) -> Path:
        """Write a report as a self-contained HTML page with its history over time."""
        from keel.monitoring._report_html import write_report_html

        row = self.monitor_report(report_id, model=model)
        history = list(reversed(self.store.monitor_reports(row.model, limit=200)))
        target = Path(path)
        write_report_html(row, history, target)
        assert row.id is not None
        self.store.set_monitor_report_html(row.id, self.artifacts.put_file(target).digest)
        return target

    def reference_profile(self, model: str) -> ReferenceProfile:
        """The reference profile of ``model``'s version: its training snapshot's when the
        store has it, else the package's ``profile.json`` (binned methods only).

        Computed once per version and cached as an artifact (its digest in the version's
        tag ``keel.monitoring.reference``).
        """
        found = self.registry.resolve(model)
        package = self.model_package(f"{found.name}/{found.version}")
        return self._snapshot_reference(found, package, None).features

    # -- helpers ---------------------------------------------------------------------------

    def _monitor_reference(
        self, found: ModelVersion, package: ModelPackage, reader: LogReader, spec: MonitorSpec
    ) -> Reference | Callable[[Window], Reference]:
        if spec.reference == "previous":
            chunk = spec.columns_per_chunk
            return lambda window: _previous(reader, reader.before(window), package.schema, chunk)
        if spec.reference == "package":
            return _package_reference(package)
        if spec.reference == "snapshot" and not found.snapshot_id:
            raise MonitoringError(
                f"{found.name} version {found.version} has no training snapshot in its "
                "lineage (monitor.reference: snapshot). Use auto, package or previous.",
                field="reference",
            )
        return self._snapshot_reference(found, package, spec)

    def _snapshot_reference(
        self, found: ModelVersion, package: ModelPackage, spec: MonitorSpec | None
    ) -> Reference:
        from keel.monitoring._run import Reference

        if not found.snapshot_id:
            return _package_reference(package)
        digest, sample = found.tags.get(REFERENCE_TAG), found.tags.get(SAMPLE_TAG)
        if digest and sample and self.artifacts.exists(digest) and self.artifacts.exists(sample):
            features, outputs, labels = _load_cached(self.artifacts, digest)
            rows = _read_parquet(self.artifacts.read_bytes(sample))
        else:
            features, outputs, labels, rows = self._profile_snapshot(found, package)
        source = f"training snapshot {found.snapshot_id[:12]}"
        return Reference(features, outputs, source, rows, labels)

    def _profile_snapshot(
        self, found: ModelVersion, package: ModelPackage
    ) -> tuple[ReferenceProfile, ReferenceProfile | None, ReferenceProfile | None, pd.DataFrame]:
        from keel.monitoring import ReferenceProfile

        assert found.snapshot_id is not None
        frame, snapshot_schema = self.load_snapshot(found.snapshot_id)
        if len(frame) > REFERENCE_ROWS:
            frame = frame.sample(REFERENCE_ROWS, random_state=0)
        schema = package.schema
        names = [c.name for c in schema.features() if c.name in frame.columns]
        encoded = _log_encoded(frame[names], schema)
        scored = _with_labels(_with_outputs(encoded, package), frame, snapshot_schema, package)
        categorical = [c.name for c in schema.features() if c.type == "categorical"]
        profile = ReferenceProfile.from_frame(scored, categorical=categorical)
        rows = encoded.sample(min(SAMPLE_ROWS, len(encoded)), random_state=0)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "reference.npz"
            profile.save(path)
            digest = self.artifacts.put_file(path).digest
            rows.to_parquet(Path(folder) / "sample.parquet", index=False)
            sample = self.artifacts.put_file(Path(folder) / "sample.parquet").digest
        tags = {REFERENCE_TAG: digest, SAMPLE_TAG: sample}
        self.registry.set_tags(found.name, tags, version=found.version)
        return (*_split_outputs(profile), rows.reset_index(drop=True))

    def _store_report(self, report: MonitorReport, now: float | None) -> MonitorReportRow:
        from keel.store._sql_monitoring import MonitorReportRow

        body = report.to_dict()
        row = MonitorReportRow(
            model=report.model,
            version=report.version,
            window_start=report.window.start,
            window_end=report.window.end,
            rows=report.window.rows,
            metrics=body["metrics"],
            report=body,
            created_at=time.time() if now is None else now,
        )
        report_id = self.store.add_monitor_report(row)
        stored = self.store.monitor_report(report_id)
        assert stored is not None
        return stored


def _package_reference(package: ModelPackage) -> Reference:
    from keel.monitoring import ReferenceProfile
    from keel.monitoring._run import Reference

    profile = package.profile()
    if profile is None:
        raise MonitoringError(
            "The model package has no reference profile (profile.json) and its version has "
            "no training snapshot: nothing to compare with. Use monitor.reference: previous.",
            field="reference",
        )
    return Reference(ReferenceProfile.from_package_profile(profile), None, "package profile.json")


def _previous(reader: LogReader, window: Window, schema: Schema, chunk: int) -> Reference:
    """The previous window as the reference, profiled a few columns at a time."""
    from keel.monitoring import ReferenceProfile
    from keel.monitoring._run import Reference
    from keel.monitoring._run_steps import decode_categories

    def profile(names: list[str]) -> ReferenceProfile | None:
        columns: dict[str, Any] = {}
        for frame in reader.chunks(window, names, chunk):
            columns.update(ReferenceProfile.from_frame(decode_categories(frame, schema)).columns)
        return ReferenceProfile(columns, window.rows) if columns else None

    features = profile(window.features)
    assert features is not None
    sample = reader.sample(window, window.features, SAMPLE_ROWS)
    source = f"previous window ({window.rows} rows)"
    return Reference(features, profile(window.outputs), source, decode_categories(sample, schema))


def _log_encoded(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Snapshot columns as the prediction log holds them: datetimes as epoch seconds and
    booleans as 0/1 (categorical columns stay text; the run decodes the log's codes)."""
    import pandas as pd

    out = frame.copy()
    for column in schema.features():
        if column.name not in out.columns:
            continue
        if column.type == "datetime":
            stamps = pd.to_datetime(out[column.name], errors="coerce", utc=True)
            out[column.name] = stamps.astype("int64").where(stamps.notna()) / 1e9
        elif column.type == "boolean":
            out[column.name] = out[column.name].astype("float64")
    return out


def _with_outputs(frame: pd.DataFrame, package: ModelPackage) -> pd.DataFrame:
    import numpy as np

    output = np.asarray(package.predictor().output(frame), dtype=np.float64)
    out = frame.copy()
    if output.ndim == 1:
        out["output"] = output
    else:
        for j in range(output.shape[1]):
            out[f"output_{j}"] = output[:, j]
    return out


def _with_labels(
    scored: pd.DataFrame, frame: pd.DataFrame, schema: Schema, package: ModelPackage
) -> pd.DataFrame:
    """The snapshot's target as the feedback log holds labels (``label``: text for a
    classifier, a number for a regressor), for target drift; unchanged without a target."""
    target = next((c.name for c in schema.columns if c.role == "target"), None)
    if target is None or target not in frame.columns:
        return scored
    labels = frame.loc[scored.index, target]
    if package.task != "regression":
        labels = labels.astype(str).where(labels.notna())
    return scored.assign(label=labels.to_numpy())


def _split_outputs(
    profile: ReferenceProfile,
) -> tuple[ReferenceProfile, ReferenceProfile | None, ReferenceProfile | None]:
    """(features, outputs, label) profiles of one profile of scored snapshot rows."""
    from keel.monitoring import ReferenceProfile

    columns = profile.columns
    outputs = {k: v for k, v in columns.items() if k == "output" or k.startswith("output_")}
    labels = {k: v for k, v in columns.items() if k == "label"}
    features = {k: v for k, v in columns.items() if k not in outputs and k not in labels}
    return (
        ReferenceProfile(features, profile.row_count),
        ReferenceProfile(outputs, profile.row_count) if outputs else None,
        ReferenceProfile(labels, profile.row_count) if labels else None,
    )


def _read_parquet(data: bytes) -> pd.DataFrame:
    import io

    import pandas as pd

    return pd.read_parquet(io.BytesIO(data))


def _load_cached(
    artifacts: ArtifactStore, digest: str
) -> tuple[ReferenceProfile, ReferenceProfile | None, ReferenceProfile | None]:
    from keel.monitoring import ReferenceProfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reference.npz"
        path.write_bytes(artifacts.read_bytes(digest))
        return _split_outputs(ReferenceProfile.load(path))

"""Monitor runs end to end: a real workspace, a registered scikit-learn model with its training
snapshot, a prediction log written by keel.serving.PredictionLog (rows encoded by the
serving validator) with feedback, alert rules from keel.yaml, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from keel.errors import MonitoringError

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
HOUR = 3600.0
N = 3000  # rows per hour of log
FEATURES = ["x1", "x2", "x3", "plan"]


def _frame(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "x1": rng.normal(shift, 1.0, n),
            "x2": rng.normal(0.0, 1.0, n),
            "x3": rng.uniform(0.0, 1.0, n),
            "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    return frame


def _labels(rng: np.random.Generator, frame: pd.DataFrame, flip: float = 0.0) -> np.ndarray:
    logit = 1.5 * frame["x1"] - frame["x2"] + (frame["plan"] == "pro") * 1.0
    y = (rng.uniform(size=len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)
    flipped = rng.uniform(size=len(frame)) < flip
    return np.where(flipped, 1 - y, y)


def _log(folder: Path, package: Any, frames: list[tuple[pd.DataFrame, np.ndarray, float]]) -> None:
    from keel.data._record import RecordValidator
    from keel.serving._predlog import PredictionLog
    from keel.serving._spec import PredictionLogSpec

    validator = RecordValidator(package.schema)
    predictor = package.predictor()
    with PredictionLog(folder, PredictionLogSpec()) as log:
        for frame, labels, start in frames:
            outputs = predictor.output(frame)
            rows = [validator.validate(r)[0] for r in frame.to_dict("records")]
            for i, row in enumerate(rows):
                at, request = start + i * (HOUR / len(frame)), f"r{start:.0f}-{i}"
                log.write("churn", 1, request, row, validator.fields, outputs[i : i + 1], 0.01, at)
                if i % 2 == 0:  # half the labels arrive
                    log.feedback("churn", request, label=int(labels[i]), at=at + 60)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from keel import Workspace
    from keel.data import infer_schema
    from keel.models import Trained, write_package

    root = tmp_path_factory.mktemp("ws")
    Workspace.init(root, project="churn").close()
    config = root / "keel.yaml"
    config.write_text(
        config.read_text()
        + "data:\n  source: train.parquet\n  target: churned\n"
        + "monitor:\n  window: 1h\n"
        + "  drift: {share_of_features: 0.25, multivariate_rows: 2000}\n  alerts:\n"
        + '    - {name: drift, when: "drift.share >= 0.25", severity: critical}\n'
        + '    - {when: "estimated.roc_auc < 0.5"}\n'
    )
    ws = Workspace.open(root)
    rng = np.random.default_rng(0)
    train = _frame(rng, 4000)
    y = _labels(rng, train)
    snapshot = ws.snapshot_data(train.assign(churned=y))
    encode = ColumnTransformer(
        [("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])], remainder="passthrough"
    )
    model = Pipeline([("encode", encode), ("model", LogisticRegression())]).fit(train, y)
    schema = infer_schema(train)
    trained = Trained.from_estimator(model, schema)
    path = write_package(
        trained,
        root / "pkg",
        holdout=(train.tail(500), y[-500:]),
        onnx=False,
        lineage={"snapshot_id": snapshot.snapshot_id},
    )
    ws.registry.register("churn", path)
    package = ws.model_package("churn/1")
    before = _frame(rng, N)
    after = _frame(rng, N, shift=1.0)  # x1 shifts by one reference sd in the last hour
    _log(
        ws.prediction_log_folder,
        package,
        [(before, _labels(rng, before), T0), (after, _labels(rng, after, flip=0.4), T0 + HOUR)],
    )
    yield ws
    ws.close()


def test_a_run_finds_the_shift_stores_the_report_and_alerts(workspace: Any) -> None:
    from keel.monitoring import MemorySink

    sink = MemorySink()
    report = workspace.monitor_run("churn", sinks={"drift": sink}, now=T0 + 2 * HOUR)
    assert report.window.rows == N and report.labelled == N // 2
    assert report.reference.startswith("training snapshot")
    assert report.drift is not None and report.drift.drifted == ["x1"]
    metrics = report.metrics()
    assert metrics["drift.share"] == 0.25 and metrics["drift.drifted"] == 1.0
    assert metrics["prediction_drift.drifted"] == 1.0  # x1 drives the score
    # the labels that arrived, against the training snapshot's target: the shift raises
    # churn, the 40 % flips pull it back to the training rate, so the target has not moved
    assert report.target is not None and report.target.report.n_current == N // 2
    assert metrics["target_drift.drifted"] == 0.0 and metrics["target_drift.distance"] < 0.02
    assert metrics["drift.multivariate.drifted"] == 1.0 and metrics["drift.multivariate.auc"] > 0.6
    assert 0.5 < metrics["estimated.roc_auc"] < 1.0
    # labels flipped 40% of the time: the realised AUC falls below the estimate
    assert metrics["performance.roc_auc"] < metrics["estimated.roc_auc.low"]
    assert report.concept is not None and report.concept.n_values == N // 2
    assert {"concept.adwin.changes", "concept.ddm.changes", "concept.drifted"} <= set(metrics)
    states = {a.rule: a.state for a in report.alerts}
    assert states == {"drift": "fired", "estimated.roc_auc < 0.5": "quiet"}
    assert sink.alerts[0].values == {"drift.share": 0.25} and sink.alerts[0].report_id == report.id

    stored = workspace.monitor_report(report.id)
    assert stored.metrics["drift.share"] == 0.25 and stored.report["drift"]["drifted"] == ["x1"]
    assert json.loads(json.dumps(stored.report))["schema_version"] == 1
    again = workspace.monitor_run("churn", sinks={"drift": sink}, now=T0 + 2 * HOUR)
    assert {a.rule: a.state for a in again.alerts}["drift"] == "duplicate"
    assert len(sink.alerts) == 1


def test_the_reference_profile_is_cached_on_the_version(workspace: Any) -> None:
    from keel._workspace_monitoring import REFERENCE_TAG

    profile = workspace.reference_profile("churn/1")
    assert sorted(profile.columns) == sorted(FEATURES)
    digest = workspace.registry.resolve("churn/1").tags[REFERENCE_TAG]
    assert workspace.artifacts.exists(digest)


def test_count_window_and_previous_window_reference(workspace: Any) -> None:
    report = workspace.monitor_run("churn", window=500, alerts=False)
    assert report.window.rows == 500 and report.drift is not None
    assert "x1" in report.drift.drifted
    previous = workspace.monitor_run("churn", window="1h", reference="previous", alerts=False)
    assert previous.reference.startswith("previous window")
    assert previous.drift is not None and previous.drift.drifted == ["x1"]


def test_package_profile_reference_uses_binned_methods(workspace: Any) -> None:
    report = workspace.monitor_run("churn", reference="package", alerts=False)
    assert report.reference == "package profile.json" and report.prediction is None
    assert report.drift is not None and "x1" in report.drift.drifted
    assert any("no outputs" in note for note in report.notes)
    assert report.multivariate is None and any("has no rows" in n for n in report.notes)


def test_an_empty_window_says_what_to_do(workspace: Any, tmp_path: Path) -> None:
    from keel.monitoring import LogReader

    with pytest.raises(MonitoringError, match="No predictions are logged for churn version 9"):
        LogReader(workspace.prediction_log_folder, "churn", 9).latest(seconds=3600)
    with pytest.raises(MonitoringError, match="no previous window"):
        reader = LogReader(workspace.prediction_log_folder, "churn", 1)
        reader.before(reader.latest(rows=10 * N))


def test_a_single_class_window_is_reported_not_crashed(workspace: Any, tmp_path: Path) -> None:
    from keel.monitoring import MonitorSpec, run_monitor
    from keel.monitoring._window import LogReader

    package = workspace.model_package("churn/1")
    rng = np.random.default_rng(3)
    frame = _frame(rng, 400)
    _log(tmp_path, package, [(frame, np.ones(400, dtype=int), T0)])
    reference = workspace._monitor_reference(
        workspace.registry.resolve("churn/1"), package, None, MonitorSpec()
    )
    report = run_monitor(
        LogReader(tmp_path, "churn", 1),
        reference,
        MonitorSpec(),
        task="binary",
        classes=package.classes,
        schema=package.schema,
    )
    assert any("one class only" in note for note in report.notes)
    assert report.metrics()["window.labelled"] == 200


def test_cli_run_and_show(workspace: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from keel.cli._app import app

    runner = CliRunner()
    root = str(workspace.root)
    result = runner.invoke(
        app, ["-w", root, "monitor", "run", "churn", "--window", "1000", "--json", "--no-alerts"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["window"]["rows"] == 1000 and body["metrics"]["drift.share"] > 0
    listed = runner.invoke(app, ["-w", root, "monitor", "show", "churn", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["id"] == body["id"]
    page = tmp_path / "report.html"
    shown = runner.invoke(app, ["-w", root, "monitor", "show", "--html", str(page)])
    assert shown.exit_code == 0, shown.output
    text = page.read_text()
    assert "<svg" in text and "drift.share over time" in text and "<script" not in text
    newest = workspace.monitor_report()
    assert newest.html_digest is not None and workspace.artifacts.exists(newest.html_digest)
    one = runner.invoke(app, ["-w", root, "monitor", "show", "--report", str(body["id"]), "--json"])
    assert one.exit_code == 0 and json.loads(one.stdout)["id"] == body["id"]
    printed = runner.invoke(app, ["-w", root, "monitor", "run", "churn", "--no-alerts"])
    assert printed.exit_code == 0, printed.output
    assert "Data drift: drifted — 25% of 4 features (x1)" in printed.stdout
    missing = runner.invoke(app, ["-w", root, "monitor", "run", "nobody"])
    assert missing.exit_code == 1 and "Error" in missing.output


def test_reading_one_column_at_a_time_gives_the_same_report(workspace: Any) -> None:
    from keel.monitoring import MonitorSpec, run_monitor
    from keel.monitoring._window import LogReader

    package = workspace.model_package("churn/1")
    found = workspace.registry.resolve("churn/1")
    distances = []
    for chunk in (1, 8):
        spec = MonitorSpec(columns_per_chunk=chunk, drift={"multivariate": False})
        reference = workspace._monitor_reference(found, package, None, spec)
        reader = LogReader(workspace.prediction_log_folder, "churn", 1)
        report = run_monitor(
            reader, reference, spec, task="binary", classes=package.classes, schema=package.schema
        )
        distances.append({c.column: c.distance for c in report.drift.columns})
    assert distances[0] == distances[1] and len(distances[0]) == 4

"""keel features fit | show | transform and the Workspace methods behind them, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import keel
from keel.cli import app
from keel.errors import FeatureError


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_customers) -> Path:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    make_customers(400).to_csv("train.csv", index=False)
    keel.Workspace.init(tmp_path, project="churn").close()
    with open("keel.yaml", "a") as handle:
        handle.write(
            "\ndata:\n  source: train.csv\n  target: churned\n"
            "features:\n  numeric: {scale: robust}\n  columns:\n    city: {encode: target}\n"
        )
    return tmp_path


def _keel(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_fit_records_a_run_and_keeps_the_pipeline(project: Path) -> None:
    result = _keel("features", "fit", "--json")
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.stdout)
    assert "city" in fitted["outputs"] and fitted["dropped"] == {"churned": "the target"}
    with keel.Workspace.open(project) as ws:
        run = ws.get_run(fitted["run_id"])
        assert run.tags["keel.kind"] == "features"
        names = {a.path for a in ws.list_artifacts(run.run_id)}
        assert {"features/pipeline.keelfp", "features/report.json", "features/spec.json"} <= names
        assert ws.run_inputs(run.run_id)["train"]  # the data snapshot it was fitted on
        from_run = ws.load_features(run.run_id)
        assert from_run.feature_names_out_ == fitted["outputs"]
        assert from_run.spec.numeric.scale == "robust"


def test_show_and_transform(project: Path) -> None:
    assert _keel("features", "fit").exit_code == 0
    shown = _keel("features", "show")
    assert shown.exit_code == 0, shown.output
    assert "TargetEncoder" in shown.stdout and "dropped churned: the target" in shown.stdout
    made = _keel("features", "transform", "train.csv", "-o", "out/features.parquet")
    assert made.exit_code == 0, made.output
    features = pd.read_parquet(project / "out" / "features.parquet")
    assert len(features) == 400 and "city" in features.columns
    assert np.isfinite(features.to_numpy()).all()


def test_errors_are_messages_not_tracebacks(project: Path) -> None:
    shown = _keel("features", "show")
    assert shown.exit_code == 1 and "keel features fit" in shown.output
    assert "Traceback" not in shown.output
    assert _keel("features", "fit").exit_code == 0
    pd.read_csv("train.csv").drop(columns=["plan"]).to_csv("bad.csv", index=False)
    broken = _keel("features", "transform", "bad.csv")
    assert broken.exit_code == 1 and "'plan'" in broken.output
    wrong = _keel("features", "transform", "train.csv", "-o", "x.xlsx")
    assert wrong.exit_code == 1 and "must end in .parquet or .csv" in wrong.output


def test_a_bad_features_section_names_the_line(project: Path) -> None:
    text = (project / "keel.yaml").read_text().replace("scale: robust", "scale: zscore")
    (project / "keel.yaml").write_text(text)
    result = _keel("features", "fit")
    assert result.exit_code == 1
    assert "features.numeric.scale" in result.output and "keel.yaml:" in result.output


def test_workspace_transform_matches_the_pipeline(project: Path) -> None:
    with keel.Workspace.open(project) as ws:
        with pytest.raises(FeatureError, match="No feature pipeline"):
            ws.load_features()
        fitted = ws.fit_features()
        values, names = ws.transform_features()
        assert names == fitted.pipeline.feature_names_out_
        np.testing.assert_array_equal(values, fitted.pipeline.transform(ws.read_data().frame))


def test_lag_history_lives_in_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "customer": rng.choice(["a", "b", "c", "d"], 200),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(200), unit="D"),
            "spend": rng.gamma(2.0, 10.0, 200).round(2),
            "churned": rng.integers(0, 2, 200),
        }
    )
    frame.to_parquet(tmp_path / "events.parquet")
    keel.Workspace.init(tmp_path, project="shop").close()
    with open(tmp_path / "keel.yaml", "a") as handle:
        handle.write(
            "\ndata:\n  source: events.parquet\n  target: churned\n"
            "features:\n  lags: {by: customer, time: day, columns: [spend], lags: [1]}\n"
        )
    with keel.Workspace.open(tmp_path) as ws:
        fitted = ws.fit_features()
        history = fitted.pipeline.columns_.named_transformers_["lags"].history_
        assert type(history).__name__ == "StoreHistory"
        assert history.name == f"features/{fitted.run_id}"
    # A fresh process (here: a fresh load) reads the history from the store.
    with keel.Workspace.open(tmp_path) as ws:
        pipe = ws.load_features()
        lag1 = pipe.feature_names_out_.index("spend_lag1")
        record = {"customer": "b", "day": pd.Timestamp("2025-01-01"), "spend": 0.0}
        newest_b = frame[frame["customer"] == "b"].iloc[-1]["spend"]
        assert pipe.transform_one(record)[lag1] == newest_b

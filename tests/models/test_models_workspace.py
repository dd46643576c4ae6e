"""keel models end to end: train, register (package, ONNX with parity, lineage), aliases,
history, rollback, lineage, export, predictors from refs — through the CLI and the API."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from typer.testing import CliRunner, Result

import keel
from keel.cli import app
from keel.errors import ModelError, RegistryError

CONFIG = """
data:
  source: cancer.csv
  target: diagnosis
train:
  algorithms: [lightgbm]
  search: {trials: 3}
"""


def _keel(root: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["-w", str(root), *args])


def _project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    frame = load_breast_cancer(as_frame=True).frame
    frame["diagnosis"] = frame.pop("target").map({0: "malignant", 1: "benign"})
    frame.to_csv(root / "cancer.csv", index=False)
    keel.Workspace.init(root, project="cancer").close()
    with open(root / "keel.yaml", "a") as handle:
        handle.write(CONFIG)
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A workspace with two trained models: their model run ids."""
    root = _project(tmp_path_factory.mktemp("models") / "ws")
    with keel.Workspace.open(root) as ws:
        first = ws.train().model_run_id
        second = ws.train().model_run_id
    return root, first, second


def test_register_alias_rollback_history_through_the_cli(trained) -> None:
    root, first, second = trained
    result = _keel(root, "models", "register", first, "--name", "cli", "--json")
    assert result.exit_code == 0, result.output
    v1 = json.loads(result.output)
    assert (v1["name"], v1["version"], v1["run_id"]) == ("cli", 1, first)
    assert v1["manifest"]["onnx"]["file"], v1["manifest"]["onnx"]  # LightGBM converts
    assert _keel(root, "models", "register", second, "--name", "cli").exit_code == 0

    assert _keel(root, "models", "alias", "cli", "champion", "1", "--why", "first").exit_code == 0
    moved = _keel(root, "models", "alias", "cli", "champion", "2", "--why", "better")
    assert moved.exit_code == 0 and "1 → 2" in moved.output
    assert (
        json.loads(_keel(root, "models", "show", "cli@champion", "--json").output)["version"] == 2
    )

    back = _keel(root, "models", "rollback", "cli", "--why", "latency regression")
    assert back.exit_code == 0, back.output
    assert (
        json.loads(_keel(root, "models", "show", "cli@champion", "--json").output)["version"] == 1
    )
    events = json.loads(_keel(root, "models", "history", "cli", "--json").output)
    assert [(e["from_version"], e["to_version"]) for e in events][-3:] == [
        (None, 1),
        (1, 2),
        (2, 1),
    ]
    assert events[-1]["why"] == "latency regression" and events[-1]["who"]
    table = _keel(root, "models", "history", "cli")
    assert "latency regression" in table.output

    refused = _keel(root, "models", "delete", "cli", "1")
    assert refused.exit_code != 0 and "champion" in refused.output
    assert "Traceback" not in refused.output


def test_lineage_names_the_run_snapshot_and_parent(trained) -> None:
    root, first, second = trained
    with keel.Workspace.open(root) as ws:
        parent = ws.register_model(first, name="lin")
        child = ws.register_model(second, name="lin", parents=["lin/1"])
        runs = ws.run_inputs(first)
    assert parent.snapshot_id in [s for ids in runs.values() for s in ids]
    result = _keel(root, "models", "lineage", "lin/2", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert (found["ref"], found["run_id"]) == ("lin/2", second)
    assert [(p["ref"], p["run_id"]) for p in found["parents"]] == [("lin/1", first)]
    assert found["git_commit"] is None  # the workspace is not a git repository
    assert child.parents == ["lin/1"]
    text = _keel(root, "models", "lineage", "lin/2").output
    assert "retrained from" in text and second in text
    missing = _keel(root, "models", "lineage", "lin@champion")
    assert missing.exit_code != 0 and "champion" in missing.output


def test_a_registered_version_predicts_like_the_trained_model(trained) -> None:
    root, first, _ = trained
    frame = pd.read_csv(root / "cancer.csv").drop(columns=["diagnosis"])
    with keel.Workspace.open(root) as ws:
        ws.register_model(first, name="pred", alias="champion")
        model = ws.load_model(first)
        predictor = ws.load_predictor("pred@champion")
        native = ws.load_predictor("pred/1", backend="native")
    assert predictor.backend == "onnx"
    expected = model.predict_proba(frame)
    np.testing.assert_allclose(predictor.predict_proba(frame), expected, atol=1e-5)
    np.testing.assert_allclose(native.predict_proba(frame), expected, atol=1e-12)
    assert list(predictor.predict(frame.head(20))) == list(model.predict(frame.head(20)))
    record = frame.iloc[3].to_dict()
    assert predictor.predict_one(record) == model.predict(frame.iloc[[3]])[0]
    with pytest.raises(ModelError, match="mean radius"):
        predictor.predict_one({**record, "mean radius": "wide"})


def test_export_zip_and_mlflow_from_a_ref(trained, tmp_path: Path) -> None:
    root, first, _ = trained
    with keel.Workspace.open(root) as ws:
        ws.register_model(first, name="exp")
    zipped = _keel(root, "models", "export", "exp/1", "--out", str(tmp_path / "m.zip"))
    assert zipped.exit_code == 0, zipped.output
    with zipfile.ZipFile(tmp_path / "m.zip") as archive:
        assert any(n.endswith("keel-model.json") for n in archive.namelist())
    with keel.Workspace.open(root) as ws:
        assert ws.load_predictor(str(tmp_path / "m.zip")).backend in {"onnx", "native"}
    out = tmp_path / "mlflow-model"
    result = _keel(root, "models", "export", "exp/1", "--format", "mlflow", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "MLmodel").exists()
    bad = _keel(root, "models", "export", "exp/1", "--format", "pmml", "--out", str(tmp_path))
    assert bad.exit_code != 0 and "pmml" in bad.output and "Traceback" not in bad.output


def test_train_register_flag_registers_a_passing_model(tmp_path: Path) -> None:
    root = _project(tmp_path / "ws")
    result = _keel(root, "train", "--register", "--alias", "champion", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["registered"] == "cancer/1"
    shown = json.loads(_keel(root, "models", "show", "cancer@champion", "--json").output)
    assert shown["version"] == 1 and shown["aliases"] == ["champion"]


def test_bad_refs_get_clear_errors(trained) -> None:
    root, _, _ = trained
    for ref, expected in [("nosuch", "nosuch"), ("bad name!", "bad name!"), ("x/zero", "x/zero")]:
        result = _keel(root, "models", "show", ref)
        assert result.exit_code != 0 and expected in result.output, result.output
        assert "Traceback" not in result.output
    with keel.Workspace.open(root) as ws, pytest.raises(RegistryError):
        ws.registry.rollback("nosuch")


def test_register_compile_records_the_measured_decision(trained) -> None:
    root, first, _ = trained
    result = _keel(root, "models", "register", first, "--name", "tl", "--compile", "--json")
    assert result.exit_code == 0, result.output
    compiled = json.loads(result.output)["manifest"]["compiled"]
    assert compiled["kept"] or compiled["reason"]  # kept, or why not
    assert {"one_row", "batch"} <= set(compiled["timings"]), compiled  # both sides timed
    with keel.Workspace.open(root) as ws:
        frame = pd.read_csv(root / "cancer.csv").drop(columns=["diagnosis"])
        np.testing.assert_allclose(
            ws.load_predictor("tl/1").predict_proba(frame),
            ws.load_model(first).predict_proba(frame),
            atol=1e-5,
        )

"""A package written with onnx=True carries the parity-checked graph (H2's exporter) and
round-trips through a zip with it; without a holdout it says why it has none."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from keel.data import infer_schema
from keel.features import FeaturePipeline
from keel.models._package import load_package, write_package, zip_package
from keel.models._trained import Trained
from keel.train._catalog import get_algorithm


@pytest.fixture(scope="module")
def model() -> tuple[pd.DataFrame, np.ndarray, Trained]:
    frame = load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)
    X, y = frame.drop(columns="target"), frame["target"].to_numpy()
    schema = infer_schema(X)
    pipe = FeaturePipeline(schema=schema, task="binary")
    matrix = pipe.fit_transform(X, y)
    lightgbm = get_algorithm("lightgbm")
    estimator = lightgbm.build({"n_estimators": 20}, "binary", 2, 0, 1, None)
    lightgbm.fit(estimator, matrix, y)
    members = [("lightgbm", {"n_estimators": 20}, estimator)]
    return X, y, Trained("binary", [0, 1], schema, pipe, members, None, "roc_auc")


def test_a_package_with_its_onnx_graph_round_trips(model: tuple, tmp_path: Path) -> None:
    X, y, trained = model
    folder = write_package(trained, tmp_path / "pkg", holdout=(X, y), onnx=True)
    package = load_package(zip_package(folder, tmp_path / "pkg.zip"))
    entry = package.manifest["onnx"]
    assert entry["file"] == "model.onnx" and entry["parity"]["max_abs_diff"] <= 1e-5
    graph = package.onnx_graph()
    assert graph is not None
    assert hashlib.sha256(graph).hexdigest() == package.manifest["files"]["model.onnx"]
    assert "onnxruntime" in package.manifest["lineage"]["packages"]
    assert "onnxruntime==" in package.read_bytes("requirements.txt").decode()
    native = package.trained().output(X)
    np.testing.assert_allclose(native, trained.output(X), rtol=0, atol=1e-12)
    predictor = package.predictor()
    assert predictor.backend == "onnx"
    np.testing.assert_allclose(predictor.predict_proba(X), native, rtol=0, atol=1e-5)


def test_without_a_holdout_the_manifest_says_why_there_is_no_graph(
    model: tuple, tmp_path: Path
) -> None:
    _, _, trained = model
    package = load_package(write_package(trained, tmp_path / "pkg"))
    assert package.onnx_graph() is None
    assert package.manifest["onnx"] == {
        "file": None,
        "reason": "no holdout was given to check the graph's parity",
    }
    assert "No ONNX graph: no holdout" in package.read_bytes("card.md").decode()

"""int8 quantization: kept only within the metric tolerance, both numbers reported."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from keel.data import infer_schema
from keel.errors import ModelError
from keel.models import Trained, export_onnx, quantize_onnx


@pytest.fixture(scope="module")
def mlp():
    data = load_breast_cancer(as_frame=True)
    X, y = data.frame.drop(columns=["target"]), data.frame["target"]
    model = make_pipeline(StandardScaler(), MLPClassifier((64, 64), max_iter=300, random_state=0))
    model.fit(X.iloc[:400].to_numpy(np.float32), y.iloc[:400])
    trained = Trained.from_estimator(model, infer_schema(X.iloc[:400]))
    holdout_X, holdout_y = X.iloc[400:], y.iloc[400:]
    return trained, export_onnx(trained, holdout_X), holdout_X, holdout_y


def test_quantization_within_tolerance_is_accepted(mlp) -> None:
    trained, export, X, y = mlp
    assert export.graph is not None, export.reason
    result = quantize_onnx(export, trained, X, y, metric="log_loss", tolerance=1.0)
    assert result.accepted and result.graph is not None and result.graph != export.graph
    assert np.isfinite(result.metric_before) and np.isfinite(result.metric_after)
    assert result.to_manifest("model.int8.onnx")["file"] == "model.int8.onnx"


def test_quantization_beyond_tolerance_is_refused_with_both_numbers(mlp) -> None:
    trained, export, X, y = mlp
    probe = quantize_onnx(export, trained, X, y, metric="log_loss", tolerance=1.0)
    drop = probe.metric_after - probe.metric_before  # log loss: up is worse
    assert drop > 0, "int8 weights did not change the log loss at all"
    result = quantize_onnx(export, trained, X, y, metric="log_loss", tolerance=drop / 2)
    assert not result.accepted and result.graph is None
    assert result.metric_before == probe.metric_before
    assert result.metric_after == probe.metric_after
    assert "log_loss" in result.reason and "tolerance" in result.reason


def test_a_tree_graph_has_nothing_to_quantize() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_onnx_export import trained_model

    trained, holdout = trained_model(["random_forest"])
    export = export_onnx(trained, holdout)
    labels = load_breast_cancer(as_frame=True).frame["target"].iloc[360:]
    result = quantize_onnx(export, trained, holdout, labels, metric="roc_auc", tolerance=0.01)
    assert not result.accepted and "no MatMul/Gemm" in result.reason
    assert result.metric_before == result.metric_after


def test_a_negative_tolerance_is_refused(mlp) -> None:
    trained, export, X, y = mlp
    with pytest.raises(ModelError, match="tolerance"):
        quantize_onnx(export, trained, X, y, metric="log_loss", tolerance=-0.1)

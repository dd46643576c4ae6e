"""The numpy evaluation of a pipeline graph's feature nodes gives ONNX Runtime's output bit
for bit, and never writes into the caller's matrix."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from keel.data import infer_schema
from keel.features import FeaturePipeline
from keel.models import Trained, export_onnx
from keel.models._onnx_input import schema_matrix
from keel.models._predictor_batch import _feature_graph
from keel.models._predictor_features import numpy_features
from keel.train._catalog import get_algorithm


@pytest.mark.parametrize(
    "spec",
    [
        None,  # median imputation, standard scaling, missing indicators
        {"numeric": {"impute": "mean", "scale": "minmax"}},
        {"numeric": {"scale": "robust"}},
    ],
)
def test_numpy_feature_nodes_equal_onnx_runtime_bit_for_bit(spec) -> None:
    X = load_breast_cancer(as_frame=True).frame.drop(columns="target")
    y = load_breast_cancer().target
    X = X.mask(np.random.default_rng(0).random(X.shape) < 0.05)  # nulls to impute
    schema = infer_schema(X)
    features = FeaturePipeline(spec, schema=schema).fit(X, y)
    logistic = get_algorithm("logistic")
    model = logistic.fit(
        logistic.build(logistic.defaults(len(y), "binary"), "binary", 2, 0, 1, None),
        features.transform(X),
        y,
    )
    trained = Trained("binary", [0, 1], schema, features, [("logistic", {}, model)], None)
    export = export_onnx(trained, X.iloc[400:])
    assert export.scope == "pipeline", export.reason
    graph, output = _feature_graph(export.graph)
    run = numpy_features(graph, output)
    assert run is not None

    inputs = schema_matrix(X, schema, np.float64)
    before = inputs.copy()
    session = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
    expected = session.run([output], {"input": inputs})[0]
    got = run(inputs)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.array_equal(inputs, before, equal_nan=True)  # the caller's rows untouched
    assert np.array_equal(X.to_numpy(), pd.DataFrame(before, columns=X.columns).to_numpy(),
                          equal_nan=True)  # fmt: skip


def test_an_unknown_node_leaves_the_graph_to_onnx_runtime() -> None:
    from onnx import helper

    node = helper.make_node("Log", ["input"], ["out"])
    graph = helper.make_model(helper.make_graph([node], "g", [], []))
    assert numpy_features(graph.SerializeToString(), "out") is None

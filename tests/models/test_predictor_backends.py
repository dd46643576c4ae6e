"""Predictor: both backends agree, single records equal batch rows, bad records are named."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_onnx_export import trained_model

from keel.errors import ModelError
from keel.models import Predictor, export_onnx


@pytest.fixture(scope="module")
def logistic():
    trained, holdout = trained_model(["logistic"])
    return trained, holdout, export_onnx(trained, holdout)


def test_auto_picks_onnx_and_predict_one_equals_predict(logistic) -> None:
    trained, holdout, export = logistic
    predictor = Predictor(trained, export)
    assert predictor.backend == "onnx" and predictor.reason is None
    records = holdout.to_dict("records")
    batch = predictor.predict(holdout)
    proba = predictor.predict_proba(holdout)
    assert [predictor.predict_one(r) for r in records] == batch.tolist()
    singles = np.array([predictor.predict_proba_one(r) for r in records])
    np.testing.assert_allclose(singles, proba, atol=1e-6)
    np.testing.assert_array_equal(batch, trained.predict(holdout))


def test_native_backend_gives_the_same_answers(logistic) -> None:
    trained, holdout, export = logistic
    onnx_side, native = Predictor(trained, export), Predictor(trained, export, backend="native")
    assert native.backend == "native" and "asked" in native.reason
    np.testing.assert_allclose(
        native.predict_proba(holdout), onnx_side.predict_proba(holdout), atol=1e-5
    )
    record = holdout.iloc[0].to_dict()
    assert native.predict_one(record) == onnx_side.predict_one(record)


def test_regression_predictor_returns_values() -> None:
    trained, holdout = trained_model(["linear"], task="regression")
    predictor = Predictor(trained, export_onnx(trained, holdout))
    assert predictor.backend == "onnx"
    values = predictor.predict(holdout)
    assert values.shape == (len(holdout),)
    assert predictor.predict_one(holdout.iloc[3].to_dict()) == pytest.approx(values[3], rel=1e-5)
    with pytest.raises(ModelError, match="regressor"):
        predictor.predict_proba(holdout)


def test_an_invalid_record_names_field_value_and_expectation(logistic) -> None:
    trained, holdout, export = logistic
    predictor = Predictor(trained, export)
    record = holdout.iloc[0].to_dict() | {"mean radius": "big"}
    with pytest.raises(ModelError) as caught:
        predictor.predict_one(record)
    assert caught.value.field == "mean radius"
    assert "'mean radius'" in str(caught.value) and "'big'" in str(caught.value)
    assert "expected" in str(caught.value)


def test_a_batch_without_a_feature_column_is_refused(logistic) -> None:
    trained, holdout, export = logistic
    with pytest.raises(ModelError, match="mean texture") as caught:
        Predictor(trained, export).predict(holdout.drop(columns=["mean texture"]))
    assert caught.value.field == "mean texture"


def test_onnx_backend_without_a_graph_and_unknown_backend_are_errors(logistic) -> None:
    trained, _, _ = logistic
    with pytest.raises(ModelError, match="onnx backend needs an ONNX graph"):
        Predictor(trained, None, backend="onnx")
    with pytest.raises(ModelError, match="'gpu'"):
        Predictor(trained, None, backend="gpu")


def test_a_large_boosting_batch_matches_the_native_model() -> None:
    # >= NATIVE_BATCH_ROWS rows: the graph's feature nodes, then LightGBM's own predict.
    from keel.models._predictor_batch import CHUNK_ROWS, NATIVE_BATCH_ROWS

    trained, holdout = trained_model(["lightgbm"], {"numeric": {"scale": "none"}})
    predictor = Predictor(trained, export_onnx(trained, holdout))
    big = holdout.sample(NATIVE_BATCH_ROWS, replace=True, random_state=0)
    np.testing.assert_allclose(predictor.predict_proba(big), trained.output(big), atol=1e-12)
    # Two chunks and a part: every row answered once, in order.
    big = holdout.sample(2 * CHUNK_ROWS + 7, replace=True, random_state=1)
    np.testing.assert_allclose(predictor.predict_proba(big), trained.output(big), atol=1e-12)
    small = holdout.iloc[:50]
    np.testing.assert_allclose(predictor.predict_proba(small), trained.output(small), atol=1e-5)

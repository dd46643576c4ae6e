"""Models trained outside keel (``Trained.from_estimator``) package and load back: a bare
LightGBM model as LightGBM text, an XGBoost model as JSON, a scikit-learn Pipeline over a
DataFrame in skops."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from keel.data import infer_schema
from keel.errors import ModelError
from keel.models._package import load_package, write_package
from keel.models._trained import Trained


@pytest.fixture
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, size=200).astype(float),
            "spend": rng.gamma(2.0, 30.0, size=200),
            "plan": rng.choice(["free", "pro", "team"], size=200),
        }
    )
    score = frame["spend"] / 60 + (frame["plan"] == "pro") - frame["age"] / 60
    labels = np.where(score > score.median(), "churned", "stayed")
    return frame, labels


def _round_trip(trained: Trained, tmp_path: Path) -> tuple[Trained, dict]:
    package = load_package(write_package(trained, tmp_path / "pkg", onnx=False))
    return package.trained(), package.manifest


def test_a_bare_lightgbm_classifier_round_trips(data: tuple, tmp_path: Path) -> None:
    frame, labels = data
    numeric = frame[["age", "spend"]]
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(numeric, labels)
    trained = Trained.from_estimator(model, infer_schema(numeric))
    assert trained.task == "binary" and trained.classes == ["churned", "stayed"]
    loaded, manifest = _round_trip(trained, tmp_path)
    assert manifest["members"][0]["format"] == "lightgbm-text"
    assert manifest["members"][0]["family"] == "external"
    np.testing.assert_allclose(
        loaded.predict_proba(frame), model.predict_proba(numeric), rtol=0, atol=1e-12
    )
    assert np.array_equal(loaded.predict(frame), model.predict(numeric))


def test_an_sklearn_pipeline_over_a_dataframe_round_trips(data: tuple, tmp_path: Path) -> None:
    frame, labels = data
    columns = ColumnTransformer(
        [("num", StandardScaler(), ["age", "spend"]), ("cat", OneHotEncoder(), ["plan"])]
    )
    model = Pipeline([("columns", columns), ("model", LogisticRegression())]).fit(frame, labels)
    trained = Trained.from_estimator(model, infer_schema(frame))
    loaded, manifest = _round_trip(trained, tmp_path)
    assert manifest["members"][0]["format"] == "skops"
    assert manifest["features"] is None and manifest["feature_names"] == ["age", "spend", "plan"]
    np.testing.assert_allclose(
        loaded.predict_proba(frame), model.predict_proba(frame), rtol=0, atol=1e-12
    )
    assert np.array_equal(loaded.predict(frame), model.predict(frame))


def test_an_xgboost_regressor_round_trips(data: tuple, tmp_path: Path) -> None:
    frame, _ = data
    numeric = frame[["age", "spend"]]
    model = xgboost.XGBRegressor(n_estimators=20).fit(numeric, numeric["spend"] * 2)
    trained = Trained.from_estimator(model, infer_schema(numeric))
    assert trained.task == "regression" and trained.classes is None
    loaded, manifest = _round_trip(trained, tmp_path)
    assert manifest["members"][0]["format"] == "xgboost-json"
    assert manifest["output"] == {"kind": "values", "columns": ["value"]}
    np.testing.assert_allclose(loaded.output(frame), model.predict(numeric), rtol=0, atol=1e-12)


def test_from_estimator_refuses_what_it_cannot_package(data: tuple) -> None:
    frame, labels = data
    schema = infer_schema(frame)
    with pytest.raises(ModelError, match="not fitted"):
        Trained.from_estimator(LogisticRegression(), schema)
    numeric = frame[["age", "spend"]]
    model = LogisticRegression().fit(numeric, labels)
    with pytest.raises(ModelError, match="3 labels but the model has 2 classes"):
        Trained.from_estimator(model, infer_schema(numeric), classes=["a", "b", "c"])
    trained = Trained.from_estimator(model, infer_schema(numeric), classes=["yes", "no"])
    assert trained.predict(numeric)[0] in ("yes", "no")
    with pytest.raises(ModelError, match=r"lacks the feature columns \['spend'\]") as caught:
        trained.predict(numeric[["age"]])
    assert caught.value.field == "spend"

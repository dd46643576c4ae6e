"""export_mlflow: real keel packages written as MLflow pyfunc models, loaded back with
mlflow.pyfunc.load_model, predicting exactly what keel predicts."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from keel.data import infer_schema
from keel.errors import ModelError
from keel.features import FeaturePipeline
from keel.models._mlflow import export_mlflow
from keel.models._package import load_package, write_package, zip_package
from keel.models._trained import Trained

mlflow = pytest.importorskip("mlflow")

CLASSES = ["benign", "malignant"]


def _cancer() -> tuple[pd.DataFrame, np.ndarray]:
    data = load_breast_cancer(as_frame=True)
    frame = data.data.iloc[:, :5].copy()
    frame.loc[::13, frame.columns[0]] = np.nan
    rng = np.random.default_rng(0)
    frame["visits"] = rng.integers(0, 9, len(frame)).astype("int64")
    frame["smoker"] = rng.random(len(frame)) > 0.7
    return frame, np.where(data.target == 1, *CLASSES)


@pytest.fixture(scope="module")
def classifier_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A keel feature pipeline and a LightGBM member, as AutoML would make them."""
    frame, y = _cancer()
    schema = infer_schema(frame)
    features = FeaturePipeline({"numeric": {"scale": "none"}}, schema=schema)
    features.fit(frame[:400], y[:400])
    codes = np.searchsorted(CLASSES, y)  # catalog members are trained on class indices
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1)
    model.fit(features.transform(frame[:400]), codes[:400])
    trained = Trained("binary", CLASSES, schema, features, [("lightgbm", {}, model)], None)
    dest = tmp_path_factory.mktemp("pkg") / "cancer"
    return write_package(trained, dest, holdout=(frame[400:], y[400:]))


def test_pyfunc_predicts_like_keel(classifier_package: Path, tmp_path: Path) -> None:
    package = load_package(classifier_package)
    frame = _cancer()[0][400:]

    dest = export_mlflow(package, tmp_path / "mlflow-model")
    model = mlflow.pyfunc.load_model(str(dest))

    keel = package.predictor()
    assert model.predict(frame).tolist() == keel.predict(frame).tolist()
    probabilities = model.predict(frame, params={"output": "probabilities"})
    assert list(probabilities.columns) == CLASSES
    np.testing.assert_array_equal(probabilities.to_numpy(), keel.predict_proba(frame))
    # The keel package travels inside as an artifact; the model itself is code, not a pickle.
    assert not list(dest.rglob("*.pkl"))
    assert (dest / "artifacts" / classifier_package.name / "keel-model.json").is_file()


def test_signature_and_requirements_come_from_the_package(
    classifier_package: Path, tmp_path: Path
) -> None:
    dest = export_mlflow(classifier_package, tmp_path / "m")  # a path works as well

    signature = mlflow.models.Model.load(str(dest / "MLmodel")).signature
    inputs = {spec.name: spec.type.name for spec in signature.inputs.inputs}
    assert inputs == {
        "mean radius": "double",
        "mean texture": "double",
        "mean perimeter": "double",
        "mean area": "double",
        "mean smoothness": "double",
        "visits": "long",
        "smoker": "boolean",
    }
    pinned = (classifier_package / "requirements.txt").read_text().split()
    assert set(pinned) <= set((dest / "requirements.txt").read_text().split())
    metadata = mlflow.models.Model.load(str(dest / "MLmodel")).metadata
    assert metadata["keel"]["classes"] == CLASSES


def test_regressor_from_a_zip_with_categorical_and_nullable_integer(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "rooms": rng.integers(1, 6, 120).astype(float),
            "city": rng.choice(["Bern", "Zug", "Chur"], 120),
        }
    )
    frame.loc[::9, "rooms"] = np.nan  # a nullable integer arrives as float64
    target = frame["rooms"].fillna(3) * 100 + (frame["city"] == "Zug") * 50
    columns = ColumnTransformer(
        [("rooms", SimpleImputer(), ["rooms"]), ("city", OneHotEncoder(), ["city"])]
    )
    pipe = make_pipeline(columns, Ridge()).fit(frame, target)
    schema = infer_schema(frame)
    assert schema.column("rooms").type == "integer" and schema.column("rooms").nullable
    folder = write_package(Trained.from_estimator(pipe, schema), tmp_path / "pkg", onnx=False)
    archive = zip_package(folder, tmp_path / "pkg.zip")

    dest = export_mlflow(load_package(archive), tmp_path / "mlflow-model")
    model = mlflow.pyfunc.load_model(str(dest))

    np.testing.assert_array_equal(model.predict(frame), pipe.predict(frame))
    with pytest.raises(ModelError, match="regression model"):
        model.predict(frame, params={"output": "probabilities"})
    with pytest.raises(ModelError, match="'output' parameter must be one of labels"):
        model.predict(frame, params={"output": "scores"})


def test_existing_destination_is_refused(classifier_package: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(ModelError, match="taken already exists"):
        export_mlflow(classifier_package, tmp_path / "taken")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]  # nothing half-written

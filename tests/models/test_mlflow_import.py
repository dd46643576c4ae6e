"""import_mlflow on real MLflow models: a scikit-learn Pipeline and LightGBM models saved
with MLflow's own flavors, and the errors for what keel cannot import."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from keel.errors import ModelError
from keel.models._mlflow import import_mlflow
from keel.models._package import load_package, write_package

mlflow = pytest.importorskip("mlflow")
from mlflow.models import infer_signature  # noqa: E402

# Given, so MLflow does not start a process to infer them (seconds per save).
_REQS = ["scikit-learn", "lightgbm"]
# infer_signature's advice on integer columns is about MLflow's own enforcement, not keel.
pytestmark = pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer")


def _frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50.0, 10.0, n),
            "tenure": rng.integers(0, 20, n).astype(np.int64),
            "plan": rng.choice(["basic", "pro", "team"], n),
        }
    )
    frame.loc[::17, "income"] = np.nan
    return frame


def _labels(frame: pd.DataFrame) -> np.ndarray:
    score = frame["income"].fillna(50.0) / 10 + (frame["plan"] == "pro") * 2 - frame["tenure"] / 4
    return np.where(score > 4.5, "churn", "stay")


def _sklearn_pipeline(frame: pd.DataFrame, y: np.ndarray) -> object:
    columns = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["income", "tenure"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
        ]
    )
    return make_pipeline(columns, LogisticRegression()).fit(frame, y)


def test_sklearn_pipeline_with_signature(tmp_path: Path) -> None:
    frame, fresh = _frame(), _frame(50, seed=1)
    pipe = _sklearn_pipeline(frame, _labels(frame))
    path = tmp_path / "sk"
    signature = infer_signature(frame, _labels(frame))
    # MLflow 3 saves with skops; OneHotEncoder's dtype parameter needs trusting.
    mlflow.sklearn.save_model(
        pipe,
        str(path),
        signature=signature,
        skops_trusted_types=["numpy.dtype"],
        pip_requirements=_REQS,
    )

    trained = import_mlflow(path)

    assert (trained.task, trained.classes) == ("binary", ["churn", "stay"])
    assert [(c.name, c.type) for c in trained.schema.features()] == [
        ("income", "numeric"),
        ("tenure", "integer"),
        ("plan", "categorical"),
    ]
    assert trained.predict(fresh).tolist() == pipe.predict(fresh).tolist()  # type: ignore[attr-defined]
    np.testing.assert_allclose(trained.predict_proba(fresh), pipe.predict_proba(fresh))  # type: ignore[attr-defined]


def test_regressor_without_signature_takes_the_schema_from_a_sample(tmp_path: Path) -> None:
    frame = _frame()[["income", "tenure"]].fillna(50.0)
    target = frame["income"] * 2 + frame["tenure"]
    model = Ridge().fit(frame, target)
    path = tmp_path / "ridge"
    mlflow.sklearn.save_model(
        model, str(path), serialization_format="cloudpickle", pip_requirements=_REQS
    )

    with pytest.raises(ModelError, match=r"has no signature.*sample="):
        import_mlflow(path)
    # A sample with an extra column: the model's own columns become the features.
    trained = import_mlflow(path, sample=frame.assign(customer_id=range(len(frame))))

    assert trained.task == "regression" and trained.classes is None
    assert [c.name for c in trained.schema.features()] == ["income", "tenure"]
    assert trained.schema.column("customer_id").role == "ignore"
    np.testing.assert_allclose(trained.predict(frame), model.predict(frame))


def test_lightgbm_classifier(tmp_path: Path) -> None:
    frame = _frame()[["income", "tenure"]]
    y = np.arange(len(frame)) % 3
    model = lightgbm.LGBMClassifier(n_estimators=20, min_child_samples=5, verbose=-1)
    model.fit(frame, y)
    path = tmp_path / "lgb"
    mlflow.lightgbm.save_model(
        model, str(path), signature=infer_signature(frame, y), pip_requirements=_REQS
    )

    trained = import_mlflow(path)

    assert (trained.task, trained.classes) == ("multiclass", [0, 1, 2])
    np.testing.assert_allclose(trained.predict_proba(frame), model.predict_proba(frame))
    assert trained.predict(frame).tolist() == model.predict(frame).tolist()


def test_lightgbm_booster(tmp_path: Path) -> None:
    frame = _frame()[["income", "tenure"]]
    y = (frame["tenure"] > 9).astype(int)
    booster = lightgbm.train(
        {"objective": "binary", "verbose": -1, "min_data_in_leaf": 5},
        lightgbm.Dataset(frame, y),
        num_boost_round=15,
    )
    path = tmp_path / "booster"
    mlflow.lightgbm.save_model(
        booster, str(path), signature=infer_signature(frame), pip_requirements=_REQS
    )

    trained = import_mlflow(path)

    assert (trained.task, trained.classes) == ("binary", [0, 1])
    np.testing.assert_allclose(trained.predict_proba(frame)[:, 1], booster.predict(frame))


class _Echo(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    def predict(self, context: object, model_input: pd.DataFrame, params: object = None) -> object:
        return model_input


def test_unsupported_flavor_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pyfunc"
    mlflow.pyfunc.save_model(str(path), python_model=_Echo(), pip_requirements=_REQS)

    with pytest.raises(ModelError, match=r"flavors python_function; keel imports the sklearn"):
        import_mlflow(path)


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"does not exist"):
        import_mlflow(tmp_path / "missing")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "model.pkl").write_bytes(b"")
    with pytest.raises(ModelError, match=r"has no MLmodel file.*found: model.pkl"):
        import_mlflow(tmp_path / "folder")
    (tmp_path / "folder" / "MLmodel").write_text("flavors: [unclosed\n")
    with pytest.raises(ModelError, match=r"cannot be read as an MLflow MLmodel"):
        import_mlflow(tmp_path / "folder")


def test_imported_models_travel_as_keel_packages(tmp_path: Path) -> None:
    frame = _frame()
    pipe = _sklearn_pipeline(frame, _labels(frame))
    signature = infer_signature(frame, _labels(frame))
    mlflow.sklearn.save_model(
        pipe,
        str(tmp_path / "sk"),
        signature=signature,
        skops_trusted_types=["numpy.dtype"],
        pip_requirements=_REQS,
    )
    numeric = frame[["income", "tenure"]]
    booster = lightgbm.train(
        {"objective": "multiclass", "num_class": 3, "verbose": -1, "min_data_in_leaf": 5},
        lightgbm.Dataset(numeric, np.arange(len(numeric)) % 3),
        num_boost_round=10,
    )
    mlflow.lightgbm.save_model(
        booster,
        str(tmp_path / "booster"),
        signature=infer_signature(numeric),
        pip_requirements=_REQS,
    )

    for name, rows in (("sk", frame), ("booster", numeric)):
        trained = import_mlflow(tmp_path / name)
        folder = write_package(trained, tmp_path / f"{name}-pkg", onnx=False)
        loaded = load_package(folder).predictor()
        assert loaded.classes == trained.classes
        np.testing.assert_array_equal(loaded.predict_proba(rows), trained.predict_proba(rows))

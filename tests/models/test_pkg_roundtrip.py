"""Every catalog family survives a package round trip: the loaded model's native output
equals the trained one's to 1e-12 (it is the same model, in its own format)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from keel.data import infer_schema
from keel.features import FeaturePipeline
from keel.models._package import load_package, write_package
from keel.models._trained import Trained
from keel.train._catalog import get_algorithm

# Few rounds and trees: the round trip, not the model, is under test.
_SMALL = {
    "lightgbm": {"n_estimators": 20},
    "xgboost": {"n_estimators": 20},
    "hist_gradient_boosting": {"max_iter": 20},
    "random_forest": {"n_estimators": 10},
    "extra_trees": {"n_estimators": 10},
    "catboost": {"n_estimators": 20},
}
_LABELS = {"binary": ["no", "yes"], "multiclass": ["a", "b", "c"]}


def _frame(task: str, rows: int = 160) -> tuple[pd.DataFrame, np.ndarray]:
    if task == "regression":
        X, y = make_regression(rows, 5, noise=5.0, random_state=0)
    else:
        n = len(_LABELS[task])
        X, y = make_classification(rows, 5, n_informative=3, n_classes=n, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    frame["plan"] = np.where(X[:, 0] > 0, "pro", "free")
    frame.loc[::7, "x1"] = np.nan  # the pipeline imputes and adds an indicator
    return frame, y


def _trained(family: str, task: str, frame: pd.DataFrame, codes: np.ndarray) -> Trained:
    schema = infer_schema(frame)
    pipe = FeaturePipeline(schema=schema, task=task)
    matrix = pipe.fit_transform(frame, codes)
    classes = _LABELS.get(task)
    algorithm = get_algorithm(family)
    params = {**algorithm.defaults(len(frame), task), **_SMALL.get(family, {})}
    estimator = algorithm.build(params, task, len(classes or [1]), 0, 1, None)
    algorithm.fit(estimator, matrix, codes)
    return Trained(task, classes, schema, pipe, [(family, params, estimator)], None, "log_loss")


def _round_trip(trained: Trained, tmp_path: Path) -> Trained:
    folder = write_package(trained, tmp_path / "pkg", onnx=False)
    return load_package(folder).trained()


_CLASSIFIERS = ("logistic", "random_forest", "extra_trees", "hist_gradient_boosting")
_CLASSIFIERS += ("lightgbm", "xgboost", "knn")
_REGRESSORS = ("linear", "random_forest", "hist_gradient_boosting", "lightgbm", "xgboost")
_CASES = [(f, task) for f in _CLASSIFIERS for task in ("binary", "multiclass")]
_CASES += [(f, "regression") for f in _REGRESSORS]


@pytest.mark.parametrize(("family", "task"), _CASES)
def test_a_family_round_trips_with_identical_output(family: str, task: str, tmp_path: Path) -> None:
    frame, y = _frame(task)
    trained = _trained(family, task, frame, y)
    loaded = _round_trip(trained, tmp_path)
    assert loaded.task == task and loaded.classes == trained.classes
    np.testing.assert_allclose(loaded.output(frame), trained.output(frame), rtol=0, atol=1e-12)
    assert np.array_equal(loaded.predict(frame), trained.predict(frame))


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_a_class_the_fit_never_saw_keeps_its_zero_column(family: str, tmp_path: Path) -> None:
    frame, y = _frame("multiclass")
    seen = y != 1  # class 1 is in the task but not in these rows
    trained = _trained(family, "multiclass", frame.loc[seen], y[seen])
    expected = trained.output(frame)
    assert expected.shape == (len(frame), 3) and np.all(expected[:, 1] == 0.0)
    loaded = _round_trip(trained, tmp_path)
    np.testing.assert_allclose(loaded.output(frame), expected, rtol=0, atol=1e-12)


def test_member_files_are_in_each_familys_native_format(tmp_path: Path) -> None:
    frame, y = _frame("binary")
    expected = {"lightgbm": "lgb.txt", "xgboost": "xgb.json", "logistic": "skops"}
    for family, suffix in expected.items():
        folder = write_package(_trained(family, "binary", frame, y), tmp_path / family, onnx=False)
        record = load_package(folder).manifest["members"][0]
        assert record["file"] == f"members/0.{suffix}"
        assert (folder / record["file"]).is_file()
    text = (tmp_path / "lightgbm" / "members" / "0.lgb.txt").read_text()
    assert text.startswith("tree\n")  # LightGBM's own model text, readable without keel


def test_an_automl_model_round_trips_exactly(tmp_path: Path) -> None:
    from keel.train import AutoML

    frame, y = _frame("multiclass", rows=240)
    labels = np.asarray(_LABELS["multiclass"])[y]
    model = AutoML(budget_s=4, seed=0, algorithms=["logistic", "lightgbm"]).fit(frame, labels)
    trained = Trained.from_automl(model, infer_schema(frame))
    folder = write_package(trained, tmp_path / "pkg", onnx=False)
    loaded = load_package(folder).trained()
    np.testing.assert_allclose(loaded.output(frame), model.predict_proba(frame), rtol=0, atol=1e-12)
    assert np.array_equal(loaded.predict(frame), model.predict(frame))
    assert loaded.metric == model.metric_.name


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_a_loaded_booster_writes_the_same_model_text_again(family: str, tmp_path: Path) -> None:
    # The native formats lose nothing: what was loaded saves back byte for byte.
    frame, y = _frame("multiclass")
    first = write_package(_trained(family, "multiclass", frame, y), tmp_path / "a", onnx=False)
    again = write_package(load_package(first).trained(), tmp_path / "b", onnx=False)
    files, files_again = (load_package(p).manifest["files"] for p in (first, again))
    member = next(name for name in files if name.startswith("members/"))
    assert files[member] == files_again[member]


def test_a_catboost_member_round_trips_when_catboost_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("catboost")
    frame, y = _frame("binary")
    trained = _trained("catboost", "binary", frame, y)
    folder = write_package(trained, tmp_path / "pkg", onnx=False)
    assert (folder / "members" / "0.cbm").is_file()
    loaded = load_package(folder).trained()
    np.testing.assert_allclose(loaded.output(frame), trained.output(frame), rtol=0, atol=1e-12)

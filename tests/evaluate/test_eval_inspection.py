"""Permutation importance and partial dependence through scikit-learn's inspection module,
on plain estimators and on keel's AutoML (through the adapter)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import partial_dependence as sklearn_partial_dependence
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from keel.errors import EvaluationError
from keel.evaluate._inspection import partial_dependence, permutation_importance
from keel.train import AutoML


def _frame(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "color": rng.choice(["red", "green", "blue"], n),
        }
    )
    logit = 2 * X["x"] + 1.5 * (X["color"] == "red")
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return X, y


@pytest.fixture(scope="module")
def automl() -> tuple[AutoML, pd.DataFrame, np.ndarray]:
    X, y = _frame()
    X.loc[::9, "x"] = np.nan  # partial dependence must survive missing values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoML(budget_s=3, seed=0, algorithms=["lightgbm"]).fit(X, y)
    return model, X, y


def test_permutation_importance_ranks_the_signal_on_automl(automl) -> None:
    model, X, y = automl
    found = permutation_importance(model, X, y, n_repeats=3)
    assert found.scoring == "roc_auc" and found.features[0] == "x"
    assert found.features[-1] == "noise" or found.mean[-1] < 0.02
    assert list(found.mean) == sorted(found.mean, reverse=True)
    again = permutation_importance(model, X, y, n_repeats=3)
    assert np.array_equal(found.mean, again.mean)  # seeded
    assert found.to_dict()["features"] == found.features


def test_partial_dependence_numeric_with_missing_and_categorical_on_automl(automl) -> None:
    model, X, _ = automl
    numeric = partial_dependence(model, X, "x", grid_resolution=10, ice_lines=7)
    assert numeric.kind == "numeric" and len(numeric.grid) == 10
    assert numeric.average.shape == (10,) and numeric.individual.shape == (7, 10)
    assert numeric.average[-1] > numeric.average[0] + 0.3  # P(yes) rises with x
    assert min(numeric.grid) >= np.nanmin(X["x"]) and max(numeric.grid) <= np.nanmax(X["x"])
    color = partial_dependence(model, X, "color")
    assert color.kind == "categorical" and set(color.grid) == {"red", "green", "blue"}
    red = color.grid.index("red")
    assert color.average[red] == max(color.average)
    assert color.to_dict()["grid"] == color.grid


def test_partial_dependence_matches_scikit_learn_and_multiclass_shape() -> None:
    X, _ = _frame()
    numeric = X[["x", "noise"]]
    y = np.digitize(numeric["x"], [-0.5, 0.5])
    model = HistGradientBoostingClassifier(max_iter=20).fit(numeric, y)
    ours = partial_dependence(model, numeric, "x", grid_resolution=5, ice_lines=4)
    assert ours.average.shape == (3, 5) and ours.individual.shape == (3, 4, 5)
    theirs = sklearn_partial_dependence(
        model, numeric, ["x"], grid_resolution=5, percentiles=(0.05, 0.95), kind="average"
    )
    np.testing.assert_allclose(ours.grid, theirs["grid_values"][0], rtol=0.05)
    assert ours.classes == [0, 1, 2]


def test_plain_pipeline_and_regression_defaults() -> None:
    X, y = _frame()
    encode = make_column_transformer((OneHotEncoder(), ["color"]), remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression()).fit(X, y)
    found = permutation_importance(model, X, y, n_repeats=2, scoring="accuracy")
    assert found.features[0] == "x" and found.scoring == "accuracy"
    regressor = LinearRegression().fit(X[["x", "noise"]], 3 * X["x"])
    r2 = permutation_importance(regressor, X[["x", "noise"]], 3 * X["x"], n_repeats=2)
    assert r2.scoring == "r2" and r2.mean[0] > 1.0
    dependence = partial_dependence(regressor, X[["x", "noise"]], "x", grid_resolution=4)
    np.testing.assert_allclose(np.diff(dependence.average) / np.diff(dependence.grid), 3.0)


def test_bad_input_raises_evaluation_error() -> None:
    X, y = _frame(100)
    model = LogisticRegression().fit(X[["x", "noise"]], y)
    numeric = X[["x", "noise"]]
    with pytest.raises(EvaluationError, match=r"'nope'.*Columns: x, noise"):
        partial_dependence(model, numeric, "nope")
    with pytest.raises(EvaluationError, match="not a scikit-learn scorer"):
        permutation_importance(model, numeric, y, scoring="auc_roc")
    with pytest.raises(EvaluationError, match="100 rows but y has 99"):
        permutation_importance(model, numeric, y[:99])
    with pytest.raises(EvaluationError, match="labels the model does not know"):
        permutation_importance(model, numeric, np.where(y == "yes", "yes", "maybe"))
    with pytest.raises(EvaluationError, match="lacks the model's input column"):
        permutation_importance(model, numeric[["x"]], y)
    with pytest.raises(EvaluationError, match="grid_resolution must be an integer >= 2"):
        partial_dependence(model, numeric, "x", grid_resolution=1)
    with pytest.raises(EvaluationError, match="n_repeats must be an integer >= 1"):
        permutation_importance(model, numeric, y, n_repeats=0)

"""SHAP in the data's own columns: TreeSHAP adds up to the raw margin, permutation SHAP to
the probability, aggregation keeps the sums, keel's AutoML is explained by input column."""

from __future__ import annotations

import dataclasses
import warnings

import lightgbm
import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from keel.errors import EvaluationError
from keel.evaluate._explain import explain_rows, shap_values
from keel.evaluate._explain_local import explain_one
from keel.evaluate._explain_permutation import orderings, permutation_shap
from keel.evaluate._explain_subject import subject_of
from keel.evaluate._sources import aggregation_matrix, feature_sources, to_columns
from keel.features import FeaturePipeline
from keel.train import AutoML


def _numeric(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + X["b"] * X["c"] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return X, y.to_numpy()


def _mixed(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 90, n),
            "income": rng.lognormal(3, 0.5, n),
            "plan": rng.choice(["free", "pro", "team"], n),
            "region": rng.choice(["north", "south"], n),
        }
    )
    X.loc[rng.random(n) < 0.1, "income"] = np.nan
    logit = (X["age"] - 50) / 10 + 1.5 * (X["plan"] == "pro") - 1
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return X, y


@pytest.fixture(scope="module")
def automl() -> tuple[AutoML, pd.DataFrame]:
    X, y = _mixed()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoML({"ensemble": "none"}, budget_s=4, seed=0, algorithms=["lightgbm"])
        model.fit(X, y)
    return model, X


def test_tree_shap_adds_up_to_lightgbm_raw_margin_with_early_stopping() -> None:
    X, y = _numeric()
    model = lightgbm.LGBMClassifier(n_estimators=300, verbose=-1, random_state=0)
    stop = [lightgbm.early_stopping(10, verbose=False)]
    model.fit(X[:400], y[:400], eval_X=(X[400:],), eval_y=(y[400:],), callbacks=stop)
    assert 0 < model.best_iteration_ < 300  # shap must stop where predict stops
    explained = shap_values(model, X)
    assert (explained.explainer, explained.output_space) == ("tree", "log_odds")
    total = explained.values.sum(axis=1) + explained.base_values
    np.testing.assert_allclose(total, model.predict(X, raw_score=True), atol=1e-6)
    assert explained.feature_names == ["a", "b", "c", "d"]
    assert explained.mean_abs().index[0] == "a"


def test_tree_shap_multiclass_and_forest_probabilities() -> None:
    X, _ = _numeric()
    y = np.digitize(X["a"] + X["b"], [-1.0, 1.0])
    boosted = lightgbm.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y)
    explained = shap_values(boosted, X)
    assert explained.values.shape == (600, 4, 3) and explained.output_space == "raw"
    total = explained.values.sum(axis=1) + explained.base_values
    np.testing.assert_allclose(total, boosted.predict(X, raw_score=True), atol=1e-6)
    forest = RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0)
    forest.fit(X, y == 2)
    explained = shap_values(forest, X.head(100))
    assert explained.output_space == "probability" and explained.classes == [True]
    total = explained.values.sum(axis=1) + explained.base_values
    np.testing.assert_allclose(total, forest.predict_proba(X.head(100))[:, 1], atol=1e-6)


def test_permutation_shap_on_a_mixed_pipeline_adds_up_to_the_probability() -> None:
    X, y = _mixed()
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["plan", "region"]),
        remainder=StandardScaler(),
    )
    model = make_pipeline(encode, LogisticRegression()).fit(X.fillna(20.0), y)
    explained = shap_values(model, X.fillna(20.0), max_rows=80, background_rows=40)
    assert (explained.explainer, explained.output_space) == ("permutation", "probability")
    assert explained.feature_names == ["age", "income", "plan", "region"]
    assert len(explained.data) == 80
    total = explained.values.sum(axis=1) + explained.base_values
    np.testing.assert_allclose(total, model.predict_proba(explained.data)[:, 1], atol=1e-6)
    assert explained.mean_abs().index[0] == "age"


def test_permutation_shap_matches_shap_exact_explainer() -> None:
    rng = np.random.default_rng(1)
    X, background = rng.normal(size=(25, 4)), rng.normal(size=(15, 4))

    def f(m: np.ndarray) -> np.ndarray:
        return np.tanh(m[:, 0] * m[:, 1] + m[:, 2] ** 2 - m[:, 3])

    values, base = permutation_shap(f, X, background, seed=0)
    exact = shap.ExactExplainer(f, shap.maskers.Independent(background, max_samples=15))
    expected = exact(X, silent=True)
    np.testing.assert_allclose(values, expected.values, atol=1e-12)
    np.testing.assert_allclose(base, expected.base_values, atol=1e-12)


def test_permutation_shap_is_seeded_and_multioutput() -> None:
    rng = np.random.default_rng(2)
    X, background = rng.normal(size=(10, 7)), rng.normal(size=(5, 7))

    def f(m: np.ndarray) -> np.ndarray:
        return np.c_[m.sum(axis=1), m[:, 0] * m[:, 1]]

    first, base = permutation_shap(f, X, background, seed=3)
    again, _ = permutation_shap(f, X, background, seed=3)
    assert first.shape == (10, 7, 2) and np.array_equal(first, again)
    np.testing.assert_allclose(first.sum(axis=1) + base, f(X), atol=1e-12)
    assert len(orderings(7, 0)) == 20 and len(orderings(3, 0)) == 6


def test_shap_values_samples_rows_by_seed() -> None:
    X, y = _numeric()
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    one = shap_values(model, X, max_rows=50, seed=4)
    two = shap_values(model, X, max_rows=50, seed=4)
    assert len(one.data) == 50 and one.data.index.equals(two.data.index)
    assert np.array_equal(one.values, two.values)
    record = one.to_dict()
    assert record["explainer"] == "tree" and len(record["values"]) == 50


def test_automl_tree_shap_sums_one_hot_columns_back(automl) -> None:
    model, X = automl
    family, _, estimator = model.model_.members[0]
    assert family == "lightgbm" and len(model.model_.members) == 1
    explained = shap_values(model, X)
    assert explained.explainer == "tree"
    assert explained.feature_names == ["age", "income", "plan", "region"]
    matrix = model.features_.transform(explained.data)
    margin = estimator.predict(matrix, raw_score=True)
    total = explained.values.sum(axis=1) + explained.base_values
    np.testing.assert_allclose(total, margin, atol=1e-6)
    # Each input column's value is the sum of its features' TreeSHAP values.
    features = shap.TreeExplainer(estimator).shap_values(matrix)
    names = model.features_.feature_names_out_
    plan = [i for i, name in enumerate(names) if name.startswith("plan_")]
    income = [names.index("income"), names.index("missingindicator_income")]
    np.testing.assert_allclose(explained.values[:, 2], features[:, plan].sum(axis=1), atol=1e-9)
    np.testing.assert_allclose(explained.values[:, 1], features[:, income].sum(axis=1), atol=1e-9)
    assert explained.mean_abs().index[0] == "age"


def test_automl_permutation_path_aggregates_to_the_probability(automl) -> None:
    model, X = automl
    subject = dataclasses.replace(subject_of(model, X), tree=None)  # as for an ensemble
    explained = explain_rows(subject, X.head(30), X.sample(20, random_state=0), seed=0)
    assert explained.explainer == "permutation" and explained.values.shape == (30, 4)
    total = explained.values.sum(axis=1) + explained.base_values
    np.testing.assert_allclose(total, model.predict_proba(X.head(30))[:, 1], atol=1e-6)


def test_explain_one_in_original_columns(automl) -> None:
    model, _ = automl
    record = {"age": 70, "plan": "pro", "region": "north"}  # income missing
    local = explain_one(model, record)
    assert [c[0] for c in local.contributions][:1] in (["age"], ["plan"])
    assert {c[0] for c in local.contributions} == {"age", "income", "plan", "region"}
    magnitudes = [abs(c[2]) for c in local.contributions]
    assert magnitudes == sorted(magnitudes, reverse=True)
    matrix = model.features_.transform(pd.DataFrame([{**record, "income": None}]))
    margin = model.model_.members[0][2].predict(matrix, raw_score=True)[0]
    assert local.prediction == pytest.approx(margin, abs=1e-6)
    assert local.label == "yes" and local.output_space == "log_odds"
    text = local.to_text()
    assert "age = 70" in text and "log_odds of class 'yes'" in text
    assert local.to_dict()["contributions"][0]["feature"] == local.contributions[0][0]


def test_explain_one_permutation_needs_background() -> None:
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)
    with pytest.raises(EvaluationError, match="background"):
        explain_one(model, {"a": 1.0, "b": 0.0, "c": 0.0, "d": 0.0})
    local = explain_one(model, X.iloc[[3]], background=X)
    assert local.explainer == "permutation" and local.output_space == "probability"
    assert local.prediction == pytest.approx(model.predict_proba(X.iloc[[3]])[0, 1], abs=1e-9)


def test_feature_sources_from_the_pipeline_and_by_name() -> None:
    X, y = _mixed(200)
    spec = {"interactions": {"pairs": [["age", "income"]]}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = FeaturePipeline(spec).fit(X, pd.Series(y))
    sources = dict(zip(pipe.feature_names_out_, feature_sources(pipe), strict=True))
    assert sources["age*income"] == ("age", "income")
    assert sources["plan_pro"] == ("plan",)
    assert sources["missingindicator_income"] == ("income",)
    del pipe.feature_sources_  # a pipeline pickled before the attribute existed
    assert dict(zip(pipe.feature_names_out_, feature_sources(pipe), strict=True)) == sources
    weights = aggregation_matrix(list(sources.values()), pipe.input_columns_)
    values = np.random.default_rng(0).normal(size=(5, len(sources)))
    np.testing.assert_allclose(to_columns(values, weights).sum(axis=1), values.sum(axis=1))


def test_bad_input_raises_evaluation_error() -> None:
    X, y = _numeric()
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    with pytest.raises(EvaluationError, match="DataFrame"):
        shap_values(model, X.to_numpy())
    with pytest.raises(EvaluationError, match="lacks the model's input column"):
        shap_values(model, X.drop(columns="c"))
    with pytest.raises(EvaluationError, match="max_rows must be an integer >= 1"):
        shap_values(model, X, max_rows=0)
    with pytest.raises(EvaluationError, match="must be fitted"):
        shap_values(lightgbm.LGBMClassifier(), X)
    with pytest.raises(EvaluationError, match="one row"):
        explain_one(model, X.head(2))

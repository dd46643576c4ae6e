"""Interactions and AutoInteractions: terms, missing values, settings, fast path, CV choice."""

from __future__ import annotations

import functools
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.preprocessing import PolynomialFeatures

from keel.errors import FeatureError
from keel.features._interactions import Interactions
from keel.features._interactions_auto import AutoInteractions, InteractionCandidate

COLUMNS = ["age", "income", "tenure"]


def make_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"age": [20.0, 30.0, np.nan, 50.0], "income": [2.0, 0.0, 4.0, -8.0], "tenure": [1, 2, 3, 4]}
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame()


def fitted(frame: pd.DataFrame) -> Interactions:
    step = Interactions(
        pairs=[("age", "income")], ratios=[("income", "age")], polynomial=["age", "tenure"]
    )
    return step.fit(frame)


def test_names_follow_pairs_then_ratios_then_polynomial_terms(frame: pd.DataFrame) -> None:
    names = fitted(frame).get_feature_names_out()
    assert names.tolist() == ["age*income", "income/age", "age^2", "age*tenure", "tenure^2"]
    assert fitted(frame).input_columns() == ["age", "income", "tenure"]


def test_values_and_median_fill(frame: pd.DataFrame) -> None:
    out = fitted(frame).transform(frame)
    age = np.array([20.0, 30.0, 30.0, 50.0])  # the NaN becomes the median, 30
    income, tenure = frame["income"].to_numpy(), frame["tenure"].to_numpy(float)
    expected = np.column_stack([age * income, income / age, age**2, age * tenure, tenure**2])
    assert np.array_equal(out, expected)
    assert out.dtype == np.float64 and out.flags.c_contiguous


def test_polynomial_terms_are_sklearns_degree_2_terms(frame: pd.DataFrame) -> None:
    step = Interactions(polynomial=COLUMNS).fit(frame)
    filled = step.transform(frame.fillna(30.0))
    poly = PolynomialFeatures(degree=2, include_bias=False).fit(frame[COLUMNS].fillna(30.0))
    degree2 = poly.powers_.sum(axis=1) == 2
    assert np.array_equal(filled, poly.transform(frame[COLUMNS].fillna(30.0))[:, degree2])
    sklearn_names = poly.get_feature_names_out(COLUMNS)[degree2]
    assert step.get_feature_names_out().tolist() == [n.replace(" ", "*") for n in sklearn_names]


def test_a_term_named_twice_is_output_once(frame: pd.DataFrame) -> None:
    step = Interactions(pairs=[("age", "income"), ("age", "income")], polynomial=["age", "income"])
    names = step.fit(frame).get_feature_names_out().tolist()
    assert names == ["age*income", "age^2", "income^2"]
    assert step.transform(frame).shape == (4, 3)


def test_ratio_over_zero_or_tiny_denominator_is_zero() -> None:
    X = pd.DataFrame({"a": [3.0, 3.0, 3.0], "b": [0.0, 1e-13, -2.0]})
    step = Interactions(ratios=[("a", "b")]).fit(X)
    assert step.transform(X)[:, 0].tolist() == [0.0, 0.0, -1.5]
    assert step.record_function()({"a": 3.0, "b": 0.0}) == [0.0]


def test_missing_and_infinite_inputs_become_the_median_and_overflow_is_clipped() -> None:
    X = pd.DataFrame({"a": [1.0, 3.0, 5.0, 1e300], "b": [None, pd.NA, np.inf, 1e300]}, dtype=object)
    step = Interactions(pairs=[("a", "b")]).fit(X)
    out = step.transform(X)
    assert np.isfinite(out).all()
    assert out[:, 0].tolist() == [1e300, 3e300, 5e300, np.finfo(np.float64).max]


def test_all_missing_column_fills_with_zero() -> None:
    X = pd.DataFrame({"a": [None, None], "b": [2.0, 3.0]})
    step = Interactions(pairs=[("a", "b")], polynomial=["a"]).fit(X)
    assert step.transform(X).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_single_row_frames_with_none(frame: pd.DataFrame) -> None:
    step = fitted(frame)
    for value in (None, np.nan, pd.NA):
        row = pd.DataFrame([{"age": value, "income": 2, "tenure": 3.0}])
        assert step.transform(row).tolist() == [[60.0, 2 / 30.0, 900.0, 90.0, 9.0]]


def test_nullable_integer_columns(frame: pd.DataFrame) -> None:
    X = frame.assign(tenure=pd.array([1, None, 3, 4], dtype="Int64"))
    out = Interactions(polynomial=["tenure"]).fit(X).transform(X)
    assert out[:, 0].tolist() == [1.0, 9.0, 9.0, 16.0]


@pytest.mark.parametrize(
    ("kwargs", "setting", "shown"),
    [
        ({"pairs": [("age", "agee")]}, "pairs", "'agee'"),
        ({"ratios": [("age", "age")]}, "ratios", "('age', 'age')"),
        ({"ratios": [("age", "nope")]}, "ratios", "'nope'"),
        ({"polynomial": ["age", "age"]}, "polynomial", "['age', 'age']"),
        ({"polynomial": "age"}, "polynomial", "'age'"),
        ({"pairs": [("age",)]}, "pairs", "('age',)"),
        ({"pairs": [("age", "city")]}, "pairs", "'city'"),
        ({"polynomial": ["flag"]}, "polynomial", "'flag'"),
    ],
)
def test_bad_settings_name_the_setting(kwargs: dict, setting: str, shown: str) -> None:
    X = pd.DataFrame({"age": [1.0, 2.0], "city": ["a", "b"], "flag": [True, False]})
    with pytest.raises(FeatureError, match=setting) as caught:
        Interactions(**kwargs).fit(X)
    assert caught.value.field == f"features.interactions.{setting}"
    assert shown in str(caught.value)


def test_no_terms_and_non_frames_are_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(FeatureError, match="at least one term"):
        Interactions().fit(frame)
    with pytest.raises(FeatureError, match="DataFrame"):
        Interactions(pairs=[("age", "age")]).fit(frame.to_numpy())


def test_misuse_after_and_before_fit(frame: pd.DataFrame) -> None:
    step = Interactions(pairs=[("age", "income")])
    with pytest.raises(FeatureError, match="not fitted"):
        step.transform(frame)
    step.fit(frame)
    with pytest.raises(FeatureError, match="'income' is missing"):
        step.transform(frame[["age"]])
    with pytest.raises(FeatureError, match="'income' of dtype str"):
        step.transform(pd.DataFrame({"age": [1.0], "income": ["x"]}))
    with pytest.raises(FeatureError, match=r"'income'\. Got 'x'"):
        step.transform(pd.DataFrame({"age": [1.0], "income": ["x"]}, dtype=object))
    with pytest.raises(FeatureError, match=r"'income'\. Got 'x'"):
        step.record_function()({"age": 1.0, "income": "x"})
    with pytest.raises(FeatureError, match=r"'income'.*True"):
        step.record_function()({"age": 1.0, "income": True})


def test_clone_params_and_pickle(frame: pd.DataFrame) -> None:
    step = fitted(frame)
    assert clone(step).get_params() == step.get_params()
    assert not hasattr(clone(step), "terms_")
    again = pickle.loads(pickle.dumps(step))
    assert np.array_equal(again.transform(frame), step.transform(frame))


raw_values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.just(0.0),
    st.just(pd.NA),
)
records = st.dictionaries(st.sampled_from(COLUMNS), raw_values)
FITTED = fitted(make_frame())


@settings(max_examples=50, deadline=None)
@given(record=records)
def test_record_function_equals_transform(record: dict) -> None:
    step = FITTED
    one = step.record_function()(record)
    row = step.transform(pd.DataFrame([{c: record.get(c) for c in COLUMNS}]))[0]
    assert all(type(v) is float for v in one)
    assert np.array_equal(np.asarray(one), row)


def test_record_function_equals_batch_rows(frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(50, 3)) * 100, columns=COLUMNS)
    X.iloc[::7, 0] = np.nan
    step, batch = fitted(X), fitted(X).transform(X)
    record = step.record_function()
    rows = [record({k: v for k, v in r.items() if v == v}) for r in X.to_dict("records")]
    assert np.array_equal(np.asarray(rows), batch)


# AutoInteractions ---------------------------------------------------------------------


def synthetic(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(1, 7)])


def test_auto_keeps_the_product_the_target_depends_on_and_drops_noise() -> None:
    X = synthetic()
    y = X["x1"] * X["x2"] + 0.3 * X["x3"] + 0.1 * np.random.default_rng(1).normal(size=len(X))
    step = AutoInteractions(task="regression").fit(X, y)
    assert "x1*x2" in step.get_feature_names_out().tolist()
    noise = {"x4", "x5", "x6"}
    for tried in step.report_:
        assert isinstance(tried, InteractionCandidate)
        if set(tried.name.replace("/", "*").split("*")) <= noise:
            assert not tried.kept, tried
    assert step.final_score_ > step.baseline_score_ + 0.5
    kept = next(t for t in step.report_ if t.name == "x1*x2")
    assert kept.kept and kept.kind == "product" and ">= min_gain" in kept.reason


def test_auto_binary_with_main_effects() -> None:
    X = synthetic(seed=2)
    logit = X["x1"] + X["x2"] + 3 * X["x1"] * X["x2"]
    y = (logit + np.random.default_rng(3).logistic(size=len(X)) > 0).astype(int)
    step = AutoInteractions(task="binary", max_keep=2).fit(X, y)
    assert step.get_feature_names_out().tolist()[0] == "x1*x2"
    assert len(step.get_feature_names_out()) <= 2
    assert all(t.reason for t in step.report_) and len(step.report_) <= 20


def test_auto_on_pure_noise_keeps_nothing() -> None:
    X = synthetic(n=1000)
    y = np.random.default_rng(4).integers(0, 3, size=len(X))
    step = AutoInteractions(task="multiclass", max_candidates=6).fit(X, y)
    assert step.get_feature_names_out().shape == (0,)
    assert step.transform(X).shape == (1000, 0)
    assert step.transform(X.iloc[[0]]).shape == (1, 0)
    assert step.record_function()({"x1": 1.0}) == []
    assert not any(t.kept for t in step.report_) and len(step.report_) == 6
    assert step.final_score_ == step.baseline_score_


def test_auto_is_seeded_and_uses_at_most_max_rows() -> None:
    X = synthetic(n=2000)
    y = X["x1"] / (X["x2"].abs() + 1) + X["x1"] * X["x3"]
    one = AutoInteractions(task="regression", max_rows=500).fit(X, y)
    two = AutoInteractions(task="regression", max_rows=500).fit(X, y)
    assert one.report_ == two.report_


@functools.cache
def fitted_auto() -> tuple[AutoInteractions, pd.DataFrame]:
    X = synthetic(n=1500)
    X.loc[::5, "x1"] = np.nan
    X["x3"] = X["x3"].abs() + 0.5
    y = X["x1"].fillna(0) * X["x2"] + 2 * X["x2"] / X["x3"]
    return AutoInteractions(task="regression", min_gain=0.01).fit(X, y), X


def test_auto_missing_values_and_fast_path_match_transform() -> None:
    step, X = fitted_auto()
    kinds = {t.name: t.kind for t in step.report_ if t.kept}
    assert "product" in kinds.values() and "ratio" in kinds.values()
    out = step.transform(X)
    assert np.isfinite(out).all() and out.shape == (len(X), len(kinds))
    record = step.record_function()
    rows = [record({k: v for k, v in r.items() if v == v}) for r in X.to_dict("records")]
    assert np.array_equal(np.asarray(rows), out)


@settings(max_examples=50, deadline=None)
@given(record=st.dictionaries(st.sampled_from([f"x{i}" for i in range(1, 7)]), raw_values))
def test_auto_record_function_equals_transform(record: dict) -> None:
    step = fitted_auto()[0]
    row = pd.DataFrame([{c: record.get(c) for c in step.feature_names_in_}])
    assert np.array_equal(np.asarray(step.record_function()(record)), step.transform(row)[0])


def test_auto_clone_and_pickle() -> None:
    step, X = fitted_auto()
    assert clone(step).get_params() == step.get_params()
    again = pickle.loads(pickle.dumps(step))
    assert np.array_equal(again.transform(X), step.transform(X))
    assert again.report_ == step.report_


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"task": "ranking"}, "task"),
        ({"task": "binary", "max_keep": 0}, "max_keep"),
        ({"task": "binary", "max_candidates": 2.5}, "max_candidates"),
        ({"task": "binary", "cv": 1}, "cv"),
        ({"task": "binary", "min_gain": -0.1}, "min_gain"),
        ({"task": "binary", "min_gain": math.nan}, "min_gain"),
        ({"task": "binary", "max_rows": 10}, "max_rows"),
    ],
)
def test_auto_bad_settings_name_the_setting(kwargs: dict, setting: str) -> None:
    X = synthetic(n=200)
    with pytest.raises(FeatureError, match=f"'{setting}' setting") as caught:
        AutoInteractions(**kwargs).fit(X, np.arange(200) % 2)
    assert caught.value.field == f"features.interactions.{setting}"


def test_auto_bad_targets() -> None:
    X = synthetic(n=200)
    with pytest.raises(FeatureError, match="one value per row"):
        AutoInteractions(task="regression").fit(X, np.zeros(10))
    with pytest.raises(FeatureError, match=r"2 classes\. Got 3"):
        AutoInteractions(task="binary").fit(X, np.arange(200) % 3)
    with pytest.raises(FeatureError, match="not fitted"):
        AutoInteractions(task="binary").transform(X)

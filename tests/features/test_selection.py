"""FeatureSelector: each method, their order, the reasons, settings and the fast path."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from keel.errors import FeatureError
from keel.features._selection import FeatureSelector
from keel.features._selection_methods import ordinal


@functools.cache
def data(n: int = 600) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Three signal features, a near-copy of the first, a constant and five noise features."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["s1", "s2", "s3"])
    X["copy"] = X["s1"] * 3.0 + 0.01 * rng.normal(size=n)
    X["flat"] = 2.0
    for i in range(5):
        X[f"noise{i}"] = rng.normal(size=n)
    signal = X["s1"] + 0.8 * X["s2"] - 0.6 * X["s3"]
    binary = (signal + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, binary, signal + 0.1 * rng.normal(size=n)


def test_variance_drops_constant_features_with_the_reason() -> None:
    X, y, _ = data()
    step = FeatureSelector("variance", task="binary").fit(X, y)
    assert step.dropped_ == {"flat": "variance 0 <= threshold 0.0"}
    assert step.kept_ == [c for c in X.columns if c != "flat"]
    assert step.scores_["variance"]["flat"] == 0.0


def test_correlation_drops_the_later_feature_of_a_correlated_pair() -> None:
    X, y, _ = data()
    step = FeatureSelector("correlation", task="binary").fit(X, y)
    assert list(step.dropped_) == ["copy"]
    assert step.dropped_["copy"].startswith("|r| = 1.000 with 's1' > 0.95")
    loose = FeatureSelector("correlation", task="binary", threshold=0.999999).fit(X, y)
    assert loose.dropped_ == {}


def test_correlation_judges_only_against_kept_features() -> None:
    a = np.linspace(0, 1, 50)
    b = a + 0.05 * np.sin(a * 40)  # close to a
    X = pd.DataFrame({"a": a, "b": b, "c": 2 * b})
    step = FeatureSelector("correlation", task="regression", threshold=0.99).fit(X, a)
    assert step.kept_ == ["a"]
    assert "with 'a'" in step.dropped_["b"] and "with 'a'" in step.dropped_["c"]


def test_mutual_info_keeps_the_top_k_and_ranks_the_rest() -> None:
    X, y, _ = data()
    step = FeatureSelector("mutual_info", task="binary", keep=4).fit(X, y)
    assert set(step.kept_) == {"s1", "s2", "copy", "s3"}
    reasons = step.dropped_
    assert len(reasons) == len(X.columns) - 4
    assert all(
        r.startswith("mutual information ") and r.endswith(", keep 4") for r in reasons.values()
    )
    assert set(step.scores_["mutual_info"]) == set(X.columns)


def test_mutual_info_regression_without_keep_uses_the_threshold() -> None:
    X, _, y = data()
    step = FeatureSelector("mutual_info", task="regression", threshold=0.05).fit(X, y)
    assert {"s1", "s2", "s3"} <= set(step.kept_)
    assert "<= threshold 0.05" in step.dropped_["flat"]


def test_importance_keeps_the_top_k_or_above_the_mean() -> None:
    X, y, _ = data()
    top = FeatureSelector("importance", task="binary", keep=3).fit(X, y)
    assert len(top.kept_) == 3 and "s2" in top.kept_
    assert "ranked" in top.dropped_["flat"]
    mean = FeatureSelector("importance", task="binary").fit(X, y)
    assert "< the mean importance" in mean.dropped_["noise0"]
    assert {"s1", "s2"} <= set(mean.kept_)


def test_rfe_eliminates_noise_features() -> None:
    X, _, y = data()
    step = FeatureSelector(["variance", "rfe"], task="regression").fit(X, y)
    assert {"s2", "s3"} <= set(step.kept_)
    n_kept = len(step.kept_)
    assert step.dropped_["noise0"] == f"eliminated by RFECV (best CV score with {n_kept} features)"


def test_methods_run_in_order_on_what_the_previous_kept() -> None:
    X, y, _ = data()
    step = FeatureSelector(["variance", "correlation", "mutual_info"], task="binary", keep=3)
    step.fit(X, y)
    assert step.kept_ == ["s1", "s2", "s3"]
    assert "flat" not in step.scores_["correlation"]
    assert "copy" not in step.scores_["mutual_info"]
    assert list(step.dropped_)[:2] == ["flat", "copy"]


def test_a_method_that_would_drop_everything_keeps_its_best_feature() -> None:
    X = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]})
    step = FeatureSelector("variance", task="regression").fit(X, [1.0, 2.0, 3.0])
    assert step.kept_ == ["a"]
    assert step.dropped_["b"].endswith(
        "(every feature failed variance: kept 'a', its best, instead)"
    )
    assert step.transform(X).shape == (3, 1)


def test_transform_selects_kept_columns_in_input_order() -> None:
    X, y, _ = data()
    step = FeatureSelector(["correlation", "importance"], task="binary", keep=3).fit(X, y)
    out = step.transform(X)
    assert out.dtype == np.float64 and out.flags.c_contiguous
    assert np.array_equal(out, X[step.kept_].to_numpy())
    assert step.get_feature_names_out().tolist() == step.kept_
    assert [c for c in X.columns if c in step.kept_] == step.kept_
    assert step.transform(X.iloc[[5]]).shape == (1, 3)


def test_plain_arrays_work_too() -> None:
    X, y, _ = data()
    step = FeatureSelector("variance", task="binary").fit(X.to_numpy(), y.to_numpy())
    assert "x4" in step.dropped_ and not hasattr(step, "feature_names_in_")
    assert step.transform(X.to_numpy()).shape == (len(X), 9)


def test_misuse_is_a_feature_error() -> None:
    X, y, _ = data()
    with pytest.raises(FeatureError, match="not fitted"):
        FeatureSelector("variance", task="binary").transform(X)
    step = FeatureSelector("variance", task="binary").fit(X, y)
    with pytest.raises(FeatureError, match="fitted on features"):
        step.transform(X[X.columns[::-1]])
    with pytest.raises(FeatureError, match="NaN or inf"):
        step.transform(X.assign(s1=np.nan))
    with pytest.raises(FeatureError, match=r"needs y for \['importance'\]"):
        FeatureSelector("importance", task="binary").fit(X)
    with pytest.raises(FeatureError, match="one non-missing value per row"):
        FeatureSelector("importance", task="binary").fit(X, y[:10])


@pytest.mark.parametrize(
    ("kwargs", "setting", "shown"),
    [
        ({"method": "lasso"}, "method", "'correlation', 'importance', 'mutual_info', 'rfe'"),
        ({"method": ["variance", "pca"]}, "method", "['variance', 'pca']"),
        ({"method": []}, "method", "[]"),
        ({"method": ["rfe", "rfe"]}, "method", "once"),
        ({"task": "ranking"}, "task", "'ranking'"),
        ({"keep": 0}, "keep", "Got 0"),
        ({"method": "variance", "keep": 5}, "keep", "only mutual_info and importance"),
        ({"method": "correlation", "threshold": 1.5}, "threshold", "(0, 1]"),
        ({"method": "variance", "threshold": -1.0}, "threshold", ">= 0 for variance"),
        ({"method": ["variance", "correlation"], "threshold": 0.5}, "threshold", "one method"),
        ({"method": "rfe", "threshold": 0.5}, "threshold", "no method"),
        ({"cv": 1}, "cv", "Got 1"),
        ({"max_rows": 5}, "max_rows", "Got 5"),
    ],
)
def test_bad_settings_name_the_setting(kwargs: dict, setting: str, shown: str) -> None:
    X, y, _ = data()
    params = {"method": "importance", "task": "binary", **kwargs}
    with pytest.raises(FeatureError, match=f"'{setting}' setting of features.select") as caught:
        FeatureSelector(**params).fit(X, y)
    assert caught.value.field == f"features.select.{setting}"
    assert shown in str(caught.value)


def test_fitting_on_a_sample_is_seeded() -> None:
    X, y, _ = data()
    one = FeatureSelector("importance", task="binary", keep=4, max_rows=200).fit(X, y)
    two = FeatureSelector("importance", task="binary", keep=4, max_rows=200).fit(X, y)
    assert one.scores_ == two.scores_ and one.kept_ == two.kept_


def test_clone_and_pickle() -> None:
    X, y, _ = data()
    step = FeatureSelector(["variance", "mutual_info"], task="binary", keep=2).fit(X, y)
    assert clone(step).get_params() == step.get_params()
    again = pickle.loads(pickle.dumps(step))
    assert np.array_equal(again.transform(X), step.transform(X))
    assert again.dropped_ == step.dropped_


@functools.cache
def fitted(keep: int) -> FeatureSelector:
    X, y, _ = data()
    return FeatureSelector("importance", task="binary", keep=keep).fit(X, y)


@settings(max_examples=50, deadline=None)
@given(
    keep=st.sampled_from([1, 3, 10]), row=st.lists(st.floats(-1e9, 1e9), min_size=10, max_size=10)
)
def test_vector_function_equals_transform(keep: int, row: list[float]) -> None:
    step = fitted(keep)
    frame = pd.DataFrame([row], columns=step.feature_names_in_)
    out = step.vector_function()(row)
    assert out == step.transform(frame)[0].tolist() and len(out) == keep


def test_ordinal() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 41, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "41st", "111th",
    ]  # fmt: skip

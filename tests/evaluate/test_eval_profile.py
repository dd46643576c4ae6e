"""The performance profile: positive numbers, the fast single-record path for keel's
AutoML, plain JSON output, clear errors."""

from __future__ import annotations

import json
import pickle
import threading
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from keel.errors import EvaluationError
from keel.evaluate._profile import PerformanceProfile, performance_profile
from keel.train import AutoML


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=300), "b": rng.normal(size=300), "c": rng.choice(["x", "y"], 300)}
    )
    return X.assign(y=(X["a"] + rng.normal(size=300) > 0).astype(int))


@pytest.fixture(scope="module")
def automl(frame: pd.DataFrame) -> AutoML:
    return AutoML(budget_s=3, seed=0, algorithms=["logistic"]).fit(
        frame.drop(columns="y"), frame["y"]
    )


def assert_positive(profile: PerformanceProfile) -> None:
    assert 0 < profile.latency_p50_ms <= profile.latency_p99_ms
    assert profile.batch_rows_per_s > 0 and profile.serialized_bytes > 0
    assert profile.peak_memory_mb > 0


def test_automl_uses_the_compiled_record_path(automl: AutoML, frame: pd.DataFrame) -> None:
    profile = performance_profile(automl, frame.drop(columns="y"), single_calls=50, batch_rows=500)
    assert profile.single_path == "features_.transform_one + model_.predict"
    assert profile.batch_path == "predict_proba"
    assert_positive(profile)


def test_a_sklearn_classifier_predicts_one_row_frames(frame: pd.DataFrame) -> None:
    X = frame[["a", "b"]]
    model = LogisticRegression().fit(X, frame["y"])
    profile = performance_profile(model, X, single_calls=30, batch_rows=2_000)
    assert profile.single_path == "predict_proba on a one-row DataFrame"
    assert profile.single_calls == 30 and profile.batch_rows == 2_000
    assert_positive(profile)
    assert json.loads(json.dumps(profile.to_dict())) == profile.to_dict()


def test_a_regressor_is_profiled_with_predict(frame: pd.DataFrame) -> None:
    model = LinearRegression().fit(frame[["a", "b"]], frame["a"])
    profile = performance_profile(model, frame[["a", "b"]], single_calls=10, batch_rows=100)
    assert profile.single_path == "predict on a one-row DataFrame"
    assert profile.batch_path == "predict"


def test_the_serialized_size_is_the_pickle_size(frame: pd.DataFrame) -> None:
    model = LogisticRegression().fit(frame[["a"]], frame["y"])
    profile = performance_profile(model, frame[["a"]], single_calls=5, batch_rows=10)
    assert profile.serialized_bytes == len(pickle.dumps(model, protocol=5))


def test_tracing_started_by_the_caller_stays_on(frame: pd.DataFrame) -> None:
    model = LogisticRegression().fit(frame[["a"]], frame["y"])
    tracemalloc.start()
    try:
        performance_profile(model, frame[["a"]], single_calls=5, batch_rows=100)
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()
    performance_profile(model, frame[["a"]], single_calls=5, batch_rows=100)
    assert not tracemalloc.is_tracing()


@pytest.mark.parametrize(
    ("X", "kwargs", "field"),
    [
        (pd.DataFrame(), {}, "X_sample"),
        (np.ones((3, 1)), {}, "X_sample"),
        (None, {"single_calls": 0}, "single_calls"),
        (None, {"batch_rows": 2.5}, "batch_rows"),
    ],
)
def test_bad_arguments(frame: pd.DataFrame, X: object, kwargs: dict, field: str) -> None:
    model = LogisticRegression().fit(frame[["a"]], frame["y"])
    with pytest.raises(EvaluationError) as raised:
        performance_profile(model, frame[["a"]] if X is None else X, **kwargs)
    assert raised.value.field == field


def test_rows_the_model_cannot_read(frame: pd.DataFrame) -> None:
    model = LogisticRegression().fit(frame[["a", "b"]], frame["y"])
    with pytest.raises(EvaluationError, match="could not predict one row of X_sample"):
        performance_profile(model, frame[["a"]], single_calls=5, batch_rows=10)


def test_a_model_that_cannot_be_pickled(frame: pd.DataFrame) -> None:
    model = LogisticRegression().fit(frame[["a"]], frame["y"])
    model.lock_ = threading.Lock()
    with pytest.raises(EvaluationError, match="cannot be pickled") as raised:
        performance_profile(model, frame[["a"]], single_calls=5, batch_rows=10)
    assert raised.value.field == "model"

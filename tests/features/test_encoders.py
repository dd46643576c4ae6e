"""FrequencyEncoder, HashingEncoder, QuantileClipper and Log1p: values, edges, record paths."""

from __future__ import annotations

import doctest
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction import FeatureHasher

import keel.features._encoders as encoders_module
from keel.errors import FeatureError
from keel.features._encoders import FrequencyEncoder, HashingEncoder, Log1p, QuantileClipper

MISSING = [None, math.nan, pd.NA, pd.NaT]

# FrequencyEncoder


def test_frequency_is_the_share_of_training_rows() -> None:
    X = pd.DataFrame({"plan": ["a", "a", "b", None], "tier": [1, 1, 1, 2]})
    step = FrequencyEncoder().fit(X)
    assert list(step.get_feature_names_out()) == ["plan_freq", "tier_freq"]
    assert step.transform(X).tolist() == [[0.5, 0.75], [0.5, 0.75], [0.25, 0.75], [0.0, 0.25]]
    counts = FrequencyEncoder(normalize=False).fit(X)
    assert counts.transform(X)[:, 0].tolist() == [2.0, 2.0, 1.0, 0.0]


@pytest.mark.parametrize("value", ["zzz", *MISSING, 3, True])
def test_unknown_and_missing_categories_map_to_zero(value: object) -> None:
    step = FrequencyEncoder().fit(pd.DataFrame({"plan": ["a", "b"]}))
    assert step.transform(pd.DataFrame({"plan": [value]}, dtype=object)).tolist() == [[0.0]]
    assert step.record_function()({"plan": value}) == [0.0]
    assert step.record_function()({}) == [0.0]


def test_integers_made_floats_by_a_missing_value_keep_their_categories() -> None:
    step = FrequencyEncoder().fit(pd.DataFrame({"n": [1, 1, None, 2]}))  # float64 column
    assert step.frequencies_ == [{"1": 0.5, "2": 0.25}]
    assert step.record_function()({"n": 1}) == [0.5]
    assert step.transform(pd.DataFrame({"n": [np.int64(2)]})).tolist() == [[0.25]]
    flags = FrequencyEncoder().fit(pd.DataFrame({"f": [True, False, True, True]}))
    assert flags.record_function()({"f": np.True_}) == [0.75]
    assert flags.transform(pd.DataFrame({"f": ["True"]})).tolist() == [[0.75]]


def test_frequency_encoder_refuses_bad_settings_and_empty_data() -> None:
    with pytest.raises(FeatureError, match=r"'normalize' setting.*Got 'yes'") as caught:
        FrequencyEncoder(normalize="yes").fit(pd.DataFrame({"a": ["x"]}))  # type: ignore[arg-type]
    assert caught.value.field == "normalize"
    with pytest.raises(FeatureError, match="at least one row"):
        FrequencyEncoder().fit(pd.DataFrame({"a": []}))


# HashingEncoder


def test_hashing_matches_feature_hasher_on_col_value_tokens() -> None:
    X = pd.DataFrame({"city": ["Paris", "Oslo", None], "n": [3, 4, 3]}, dtype=object)
    step = HashingEncoder(n_features=8).fit(X)
    hasher = FeatureHasher(8, input_type="string", alternate_sign=False)
    tokens = [["city=Paris", "n=3"], ["city=Oslo", "n=4"], ["city=<missing>", "n=3"]]
    assert np.array_equal(step.transform(X), hasher.transform(tokens).toarray())
    assert list(step.get_feature_names_out()) == [f"hash_{i}" for i in range(8)]
    assert step.transform(X).sum(axis=1).tolist() == [2.0, 2.0, 2.0]
    assert step.transform(X.iloc[:0]).shape == (0, 8)


def test_hashing_collisions_add_up() -> None:
    step = HashingEncoder(n_features=1).fit(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    assert step.transform(pd.DataFrame({"a": ["new"], "b": [None]})).tolist() == [[2.0]]
    assert step.record_function()({"a": "new"}) == [2.0]


@pytest.mark.parametrize("n", [0, -3, 2.0, True, "8"])
def test_hashing_encoder_refuses_bad_n_features(n: object) -> None:
    with pytest.raises(FeatureError, match=r"'n_features' setting of features\.HashingEncoder"):
        HashingEncoder(n_features=n).fit(pd.DataFrame({"a": ["x"]}))  # type: ignore[arg-type]


# QuantileClipper


def test_clipper_clips_to_training_quantiles_and_keeps_nan() -> None:
    x = np.arange(101, dtype=np.float64)
    X = pd.DataFrame({"x": x, "y": np.r_[np.nan, x[1:]]})
    step = QuantileClipper(lower=0.1, upper=0.9).fit(X)
    assert step.lower_bounds_.tolist() == [10.0, np.quantile(x[1:], 0.1)]
    assert step.upper_bounds_.tolist() == [90.0, np.quantile(x[1:], 0.9)]
    out = step.transform(pd.DataFrame({"x": [-5.0, 50.0], "y": [np.nan, 1e9]}))
    assert out[:, 0].tolist() == [10.0, 50.0]
    assert math.isnan(out[0, 1]) and out[1, 1] == step.upper_bounds_[1]
    assert list(step.get_feature_names_out()) == ["x", "y"]


def test_clipper_does_not_crash_on_an_all_missing_column() -> None:
    step = QuantileClipper().fit(pd.DataFrame({"x": [None, None]}, dtype=object))
    assert math.isnan(step.transform(pd.DataFrame({"x": [math.nan]}))[0, 0])
    assert step.transform(pd.DataFrame({"x": [3.0]})).tolist() == [[3.0]]


@pytest.mark.parametrize(
    ("lower", "upper"), [(0.5, 0.5), (0.9, 0.1), (-0.1, 0.9), (0.1, 1.5), ("0", 1), (True, 1)]
)
def test_clipper_refuses_bad_quantiles(lower: object, upper: object) -> None:
    with pytest.raises(FeatureError, match=r"setting of features\.QuantileClipper must be"):
        QuantileClipper(lower=lower, upper=upper).fit(pd.DataFrame({"x": [1.0]}))  # type: ignore[arg-type]


# Log1p


def test_log1p_of_values_above_minus_one() -> None:
    X = pd.DataFrame({"spend": [0.0, 1.0, np.e - 1, None], "flag": [True, False, True, True]})
    step = Log1p().fit(X)
    out = step.transform(X)
    assert out[:3, 0].tolist() == pytest.approx([0.0, math.log(2), 1.0], rel=1e-15)
    assert math.isnan(out[3, 0])  # runs after imputation: NaN stays NaN
    assert out[:, 1].tolist() == [math.log(2), 0.0, math.log(2), math.log(2)]
    assert list(step.get_feature_names_out()) == ["spend", "flag"]


def test_log1p_refuses_a_column_reaching_minus_one() -> None:
    with pytest.raises(FeatureError, match=r"Column 'debt'.*> -1.*smallest value is -3\.5"):
        Log1p().fit(pd.DataFrame({"ok": [1.0, 2.0, 3.0], "debt": [1.0, -3.5, -1.0]}))


def test_log1p_maps_values_at_or_below_minus_one_to_the_training_minimum() -> None:
    step = Log1p().fit(pd.DataFrame({"x": [-0.5, 3.0]}))
    out = step.transform(pd.DataFrame({"x": [-1.0, -7.0, -math.inf]}))
    assert out[:, 0].tolist() == [math.log(0.5)] * 3
    assert step.record_function()({"x": -2}) == [math.log(0.5)]
    assert step.vector_function()([-1.0]) == [math.log(0.5)]


def test_numeric_steps_refuse_strings() -> None:
    for step in (Log1p(), QuantileClipper()):
        with pytest.raises(FeatureError, match=r"Column 'x' of features.*numbers\. Got 'a'"):
            step.fit(pd.DataFrame({"x": [1.0, "a"]}, dtype=object))
        step.fit(pd.DataFrame({"x": [1.0, 2.0]}))
        with pytest.raises(FeatureError, match="Column 'x'"):
            step.record_function()({"x": "3"})


# All four


STEPS = [
    FrequencyEncoder(normalize=False),
    HashingEncoder(n_features=4),
    QuantileClipper(),
    Log1p(),
]


@pytest.mark.parametrize("step", STEPS, ids=lambda s: type(s).__name__)
def test_contract(step: object) -> None:
    params = step.get_params()  # type: ignore[attr-defined]
    assert clone(step).get_params() == params  # type: ignore[arg-type]
    X = pd.DataFrame({"a": [1.0, 2.0, 2.0, None, 7.0], "b": [0, 1, 1, 1, 5]})
    with pytest.raises(FeatureError, match="not fitted"):
        step.transform(X)  # type: ignore[attr-defined]
    fitted = clone(step).fit(X)  # type: ignore[arg-type]
    out = fitted.transform(X)
    assert out.dtype == np.float64 and out.flags.c_contiguous and out.ndim == 2
    assert np.array_equal(pickle.loads(pickle.dumps(fitted)).transform(X), out, equal_nan=True)
    one = fitted.transform(X.iloc[[3]])  # one row, with a missing value
    assert one.shape == (1, out.shape[1])
    with pytest.raises(FeatureError, match="lacks"):
        fitted.transform(X[["a"]])


def _same(a: list[float], b: list[float]) -> bool:
    # log1p: numpy's and math's may differ in the last bit (brief: within 1e-12 relative).
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-12, abs=1e-300)
        for x, y in zip(a, b, strict=True)
    )


_CATEGORY = (
    st.text(max_size=6)
    | st.integers(-3, 3)
    | st.floats(-3, 3).map(lambda v: round(v, 1))
    | st.booleans()
    | st.sampled_from(MISSING)
)
_TRAIN = pd.DataFrame({"a": ["x", "y", "y", None, "1"], "b": [1, 2, 2, 3, 1]})
_CATEGORICAL = [FrequencyEncoder().fit(_TRAIN), HashingEncoder(n_features=16).fit(_TRAIN)]


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b"]), _CATEGORY))
def test_categorical_record_functions_equal_transform(record: dict) -> None:
    frame = pd.DataFrame([{"a": None, "b": None, **record}])
    for step in _CATEGORICAL:
        assert step.record_function()(record) == step.transform(frame)[0].tolist()


_NUMBER = st.floats(-0.999, 1e6) | st.integers(-10, 10**6) | st.booleans() | st.none()
_TRAIN_NUMBERS = pd.DataFrame({"a": [0.5, 3.0, 100.0, None, 7.0], "b": [1, 2, 3, 4, 5]})
_NUMERIC = [QuantileClipper(0.2, 0.8).fit(_TRAIN_NUMBERS), Log1p().fit(_TRAIN_NUMBERS)]


@settings(max_examples=50, deadline=None)
@given(st.fixed_dictionaries({"a": _NUMBER, "b": _NUMBER | st.floats(-50, -1)}))
def test_numeric_record_and_vector_functions_equal_transform(record: dict) -> None:
    for step in _NUMERIC:
        expected = step.transform(pd.DataFrame([record]))[0].tolist()
        assert _same(step.record_function()(record), expected)
        row = [math.nan if record[c] is None else float(record[c]) for c in ("a", "b")]
        assert _same(step.vector_function()(row), expected)


def test_module_examples_run() -> None:
    assert doctest.testmod(encoders_module).failed == 0

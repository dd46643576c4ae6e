"""check_output and find_leaky_features."""

from __future__ import annotations

import dataclasses
import doctest
import time

import numpy as np
import pytest

import keel.features._checks as checks_module
from keel.errors import FeatureError
from keel.features._checks import LeakyFeature, check_output, find_leaky_features

# check_output


def test_a_finite_float64_matrix_with_unique_names_passes() -> None:
    check_output(np.zeros((3, 2)), ["a", "b"])
    check_output(np.zeros((0, 2)), ("a", "b"))


def test_nan_and_inf_are_named_with_their_counts() -> None:
    X = np.zeros((4, 8))
    X[:2, 1] = np.nan
    X[3, 2] = -np.inf
    X[:, 3:] = np.nan
    names = [f"f{j}" for j in range(8)]
    with pytest.raises(FeatureError, match="only finite values") as caught:
        check_output(X, names)
    message = str(caught.value)
    assert "7 features hold NaN or infinite values" in message
    assert "'f1' (2 NaN, 0 inf), 'f2' (0 NaN, 1 inf), 'f3' (4 NaN, 0 inf)" in message
    assert "'f7'" not in message and "and 2 more" in message


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros((2, 2), dtype=np.float32), "float64.*float32"),
        (np.zeros(2), r"2-D.*shape \(2,\)"),
        (np.zeros((2, 2, 1)), "2-D"),
        ([[0.0, 1.0]], "list"),
        (np.zeros((2, 2), dtype=np.int64), "int64"),
    ],
)
def test_wrong_arrays_are_refused(X: object, match: str) -> None:
    with pytest.raises(FeatureError, match=match):
        check_output(X, ["a", "b"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("names", "match"),
    [
        (["a"], "2 columns. Got 1 names"),
        (["a", "b", "c"], "Got 3 names"),
        (["a", "a"], r"unique. Got 1 repeated: \['a'\]"),
        (["a", ""], "non-empty strings"),
        (["a", 3], "non-empty strings"),
    ],
)
def test_wrong_names_are_refused(names: list, match: str) -> None:
    with pytest.raises(FeatureError, match=match):
        check_output(np.zeros((1, 2)), names)


# find_leaky_features


def _frame(rng: np.random.Generator, y: np.ndarray, signal: np.ndarray) -> np.ndarray:
    n = y.size
    return np.column_stack(
        [
            rng.normal(size=n),  # noise
            signal + rng.normal(size=n),  # informative, not leaky
            y.astype(np.float64),  # a copy of the target
            y + rng.normal(0, 1e-4, n),  # the target plus tiny noise
        ]
    )


NAMES = ["noise", "informative", "copy", "copy_noisy"]


def test_classification_flags_copies_of_the_target_only() -> None:
    rng = np.random.default_rng(1)
    signal = rng.normal(size=3000)
    y = (signal > 0).astype(int)
    found = find_leaky_features(_frame(rng, y, signal), y, NAMES, "binary")
    assert {f.name for f in found} == {"copy", "copy_noisy"}
    assert all(f.metric == "balanced_accuracy" and f.score == 1.0 for f in found)
    assert "balanced accuracy 1.0000" in found[0].message
    assert "may leak the target" in found[0].message


def test_multiclass_targets_may_be_strings_with_missing_labels() -> None:
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, 2000)
    X = _frame(rng, codes, codes.astype(np.float64))
    y = np.array(["red", "green", "blue", None], dtype=object)[codes]
    found = find_leaky_features(X, y, NAMES, "multiclass")
    assert {f.name for f in found} == {"copy", "copy_noisy"}  # the None class is left out


def test_regression_flags_copies_of_a_skewed_target() -> None:
    rng = np.random.default_rng(3)
    signal = rng.normal(size=3000)
    y = np.exp(2 * signal)  # skewed: raw R^2 of a 16-leaf tree would fall under 0.99
    X = _frame(rng, y, np.log(y))
    found = find_leaky_features(X, y, NAMES, "regression")
    assert {f.name for f in found} == {"copy", "copy_noisy"}
    assert all(f.metric == "r2" and f.score >= 0.99 for f in found)
    assert "R^2 0.99" in found[0].message


def test_threshold_sampling_and_seed() -> None:
    rng = np.random.default_rng(4)
    signal = rng.normal(size=1000)
    y = (signal > 0).astype(int)
    X = np.column_stack([signal + rng.normal(0, 0.2, 1000)])
    assert find_leaky_features(X, y, ["strong"], "binary") == []
    low = find_leaky_features(X, y, ["strong"], "binary", threshold=0.5)
    assert [f.name for f in low] == ["strong"] and 0.8 < low[0].score < 0.99
    again = find_leaky_features(X, y, ["strong"], "binary", threshold=0.5)
    assert again == low
    sampled = find_leaky_features(X, y, ["strong"], "binary", threshold=0.5, max_rows=100)
    assert sampled[0].score != low[0].score


def test_too_few_rows_or_one_class_finds_nothing() -> None:
    assert find_leaky_features(np.zeros((5, 1)), [0, 1, 0, 1, 0], ["a"], "binary") == []
    assert find_leaky_features(np.zeros((50, 1)), [1] * 50, ["a"], "binary") == []


def test_leaky_feature_is_frozen() -> None:
    leak = LeakyFeature("a", 1.0, "r2", "m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        leak.score = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"task": "classification"}, "task"),
        ({"threshold": 0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": "high"}, "threshold"),
        ({"max_rows": 3}, "max_rows"),
        ({"max_rows": 100.0}, "max_rows"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict, field: str) -> None:
    arguments = {"task": "binary", **kwargs}
    with pytest.raises(FeatureError, match=f"'{field}' setting of find_leaky_features") as e:
        find_leaky_features(np.zeros((10, 1)), [0, 1] * 5, ["a"], **arguments)
    assert e.value.field == field


def test_mismatched_shapes_and_non_numeric_regression_targets_are_refused() -> None:
    with pytest.raises(FeatureError, match="shape"):
        find_leaky_features(np.zeros((10, 2)), [0] * 10, ["a"], "binary")
    with pytest.raises(FeatureError, match="shape"):
        find_leaky_features(np.zeros((10, 1)), [0] * 9, ["a"], "binary")
    with pytest.raises(FeatureError, match="regression target must be numeric"):
        find_leaky_features(np.zeros((10, 1)), ["x"] * 10, ["a"], "regression")


def test_a_hundred_features_on_twenty_thousand_rows_are_fast() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30_000, 100))
    y = (X[:, 0] + rng.normal(size=30_000) > 0).astype(int)
    X[:, 50] = y
    start = time.perf_counter()
    found = find_leaky_features(X, y, [f"f{j}" for j in range(100)], "binary")
    assert time.perf_counter() - start < 6  # about 1 s on 2 cores
    assert [f.name for f in found] == ["f50"]


def test_module_examples_run() -> None:
    assert doctest.testmod(checks_module).failed == 0

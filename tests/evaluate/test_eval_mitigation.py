"""Fairness mitigation with fairlearn (keel.evaluate._mitigation, _mitigation_fit)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from keel.errors import EvaluationError
from keel.evaluate._mitigation import CONSTRAINTS, METHODS, mitigate


def _biased(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Group "a" has a much higher label rate, through a feature the model sees."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    x1 = rng.normal(size=n) + 1.5 * (group == "a")
    x2 = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(2.0 * x1 + 0.5 * x2 - 1.0)))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2}), y, pd.Series(group, name="group")


@pytest.fixture(scope="module")
def split() -> dict[str, tuple[pd.DataFrame, np.ndarray, pd.Series]]:
    return {"train": _biased(1000, 0), "fit": _biased(1000, 1), "test": _biased(1000, 2)}


@pytest.fixture(scope="module")
def model(split) -> LogisticRegression:
    X, y, _ = split["train"]
    return LogisticRegression().fit(X, y)


def _mitigate(model, split, **kwargs):
    X, y, s = split["fit"]
    X_test, y_test, s_test = split["test"]
    return mitigate(model, X, y, s, X_test=X_test, y_test=y_test, sensitive_test=s_test, **kwargs)


@pytest.mark.parametrize("method", METHODS)
def test_demographic_parity_gap_shrinks_at_an_accuracy_cost(model, split, method) -> None:
    result = _mitigate(model, split, method=method)
    before = result.fairness_before["demographic_parity_difference"]
    after = result.fairness_after["demographic_parity_difference"]
    assert before > 0.4
    assert after < before / 3
    assert result.accuracy_cost >= 0
    assert result.accuracy_cost == pytest.approx(result.accuracy_before - result.accuracy_after)
    assert result.evaluated_on == "test rows"
    assert json.loads(json.dumps(result.to_dict()))["method"] == method


@pytest.mark.parametrize(
    ("constraint", "metric"),
    [
        ("equalized_odds", "equalized_odds_difference"),
        ("true_positive_rate_parity", "equal_opportunity_difference"),
    ],
)
def test_odds_constraints_shrink_their_gap(model, split, constraint, metric) -> None:
    result = _mitigate(model, split, constraint=constraint)
    assert result.fairness_after[metric] < result.fairness_before[metric] / 2


def test_predictor_speaks_the_model_labels_and_is_seeded(split) -> None:
    X, y, s = split["train"]
    labels = np.where(y == 1, "yes", "no")
    model = LogisticRegression().fit(X, labels)
    first = mitigate(model, X, labels, s, seed=3)
    again = mitigate(model, X, labels, s, seed=3)
    assert first.evaluated_on == "training rows"
    predicted = first.predictor.predict(X, sensitive_features=s)
    assert set(predicted) == {"no", "yes"}
    np.testing.assert_array_equal(predicted, again.predictor.predict(X, sensitive_features=s))
    assert first.to_dict() == again.to_dict()


def test_exponentiated_gradient_trains_the_given_estimator(model, split) -> None:
    result = _mitigate(
        model,
        split,
        method="exponentiated_gradient",
        estimator=LogisticRegression(C=0.5),
        seed=1,
    )
    members = result.predictor.mitigator.predictors_
    assert all(member.C == 0.5 for member in members)


@pytest.fixture(scope="module")
def automl(split):
    from keel.train import AutoML

    X, y, s = split["train"]
    frame = X.assign(group=s.to_numpy())
    # A short budget: any fitted AutoML will do, the test is about its feature pipeline.
    return AutoML(budget_s=2, seed=0, algorithms=["lightgbm"]).fit(frame, pd.Series(y))


def test_keel_automl_gets_the_estimator_trained_on_its_features(automl, split) -> None:
    X, y, s = split["fit"]
    X_test, y_test, s_test = split["test"]
    result = mitigate(
        automl,
        X.assign(group=s.to_numpy()),
        y,
        s,
        method="exponentiated_gradient",
        X_test=X_test.assign(group=s_test.to_numpy()),
        y_test=y_test,
        sensitive_test=s_test,
    )
    assert result.predictor.transform is not None
    before = result.fairness_before["demographic_parity_difference"]
    assert result.fairness_after["demographic_parity_difference"] < before / 2
    # Post-processing needs no retraining: the AutoML model scores its own raw columns.
    post = mitigate(automl, X.assign(group=s.to_numpy()), y, s)
    assert post.fairness_after["demographic_parity_difference"] < before / 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"method": "reweighing"},
            "method must be one of threshold_optimizer, exponentiated_gradient. Got 'reweighing'",
        ),
        (
            {"constraint": "parity"},
            "constraint must be one of demographic_parity, equalized_odds, "
            "true_positive_rate_parity. Got 'parity'",
        ),
    ],
)
def test_unknown_names_list_the_valid_ones(model, split, kwargs, message) -> None:
    with pytest.raises(EvaluationError, match=message):
        _mitigate(model, split, **kwargs)
    assert set(CONSTRAINTS) == {"demographic_parity", "equalized_odds", "true_positive_rate_parity"}


def test_only_fitted_binary_classifiers(split) -> None:
    X, y, s = split["fit"]
    three = LogisticRegression().fit(X, np.arange(y.size) % 3)
    with pytest.raises(EvaluationError, match="binary classifiers; this model is 3 classes"):
        mitigate(three, X, y, s)
    regressor = LinearRegression().fit(X, y)
    with pytest.raises(EvaluationError, match="this model is no classes_"):
        mitigate(regressor, X, y, s)


def test_bad_rows_raise(model, split) -> None:
    X, y, s = split["fit"]
    with pytest.raises(EvaluationError, match="all of X_test, y_test and sensitive_test"):
        mitigate(model, X, y, s, X_test=X)
    with pytest.raises(EvaluationError, match="have 10 rows but the outcomes have 1000"):
        mitigate(model, X, y, s[:10])
    result = mitigate(model, X, y, s)
    unseen = pd.Series(["c"] * 3, name="group")
    with pytest.raises(EvaluationError, match="group=c were not seen"):
        result.predictor.predict(X.head(3), sensitive_features=unseen)
    with pytest.raises(EvaluationError, match="needs sensitive_features"):
        result.predictor.predict(X.head(3))


def test_a_group_with_one_class_is_an_error_naming_it(model, split) -> None:
    X, y, s = split["fit"]
    y = np.where(s == "b", 0, y)
    with pytest.raises(EvaluationError, match="Degenerate labels for sensitive feature value b"):
        mitigate(model, X, y, s, constraint="equalized_odds")

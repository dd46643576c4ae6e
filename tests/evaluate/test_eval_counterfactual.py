"""Counterfactuals: the change found really flips the prediction, respects immutables and
observed ranges, and is the smallest one a brute-force search finds."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from keel.errors import EvaluationError
from keel.evaluate._counterfactual import counterfactual
from keel.train import AutoML


def _loans(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.uniform(10, 100, n).round(),
            "debt": rng.uniform(0, 50, n).round(),
            "age": rng.integers(18, 80, n),
            "job": rng.choice(["none", "part", "full"], n),
        }
    )
    score = X["income"] - X["debt"] + 20 * (X["job"] == "full") - 40
    return X, np.where(score > 0, "approved", "denied")


def _pipeline(X: pd.DataFrame, y: np.ndarray) -> object:
    encode = make_column_transformer((OneHotEncoder(), ["job"]), remainder="passthrough")
    return make_pipeline(encode, LogisticRegression(max_iter=2000)).fit(X, y)


def test_the_change_flips_the_prediction_within_observed_ranges() -> None:
    X, y = _loans()
    model = _pipeline(X, y)
    record = {"income": 30.0, "debt": 20.0, "age": 35, "job": "none"}
    assert model.predict(pd.DataFrame([record]))[0] == "denied"
    found = counterfactual(model, record, X, immutable=["age"])
    assert found.found and found.original_prediction == "denied"
    assert found.new_prediction == "approved"
    assert model.predict(pd.DataFrame([found.record]))[0] == "approved"
    assert found.record["age"] == 35 and "age" not in found.changes
    for column, (old, new) in found.changes.items():
        assert record[column] == old and new != old
        if column != "job":
            assert X[column].min() <= new <= X[column].max()
    assert 1 <= len(found.changes) <= 2 and found.distance > 0 and found.searched > 0
    assert "approved" in found.message and found.to_dict()["found"] is True


def test_minimal_against_brute_force_on_a_tiny_problem() -> None:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {
            "a": rng.integers(0, 6, 12).astype(float),
            "b": rng.integers(0, 6, 12).astype(float),
            "c": rng.choice(["u", "v"], 12),
        }
    )
    train = pd.DataFrame({"a": rng.integers(0, 6, 300), "b": rng.integers(0, 6, 300)})
    labels = (train["a"] + train["b"] > 7).astype(int)
    tree = DecisionTreeClassifier(random_state=0).fit(train, labels)

    class Model:  # the tree on a and b; c matters not
        classes_ = tree.classes_
        feature_names_in_ = np.array(["a", "b", "c"])

        def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
            return tree.predict_proba(frame[["a", "b"]])

        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return tree.predict(frame[["a", "b"]])

        def __sklearn_is_fitted__(self) -> bool:
            return True

    record = {"a": 1.0, "b": 2.0, "c": "u"}
    found = counterfactual(Model(), record, reference, candidates_per_feature=50)
    assert found.found
    assert found.distance == pytest.approx(_brute_force(tree, record, reference))


def _brute_force(tree: DecisionTreeClassifier, record: dict, reference: pd.DataFrame) -> float:
    scale = {}
    for column in ("a", "b"):
        q1, q3 = np.percentile(reference[column], [25, 75])
        scale[column] = (q3 - q1) or reference[column].std(ddof=0) or 1.0
    options = {c: sorted(set(reference[c]) - {record[c]}) for c in ("a", "b")}
    best = np.inf
    for k in (1, 2):
        for columns in itertools.combinations(("a", "b"), k):
            for values in itertools.product(*(options[c] for c in columns)):
                changed = {**record, **dict(zip(columns, values, strict=True))}
                row = pd.DataFrame([changed])[["a", "b"]]
                if tree.predict(row)[0] != tree.predict(pd.DataFrame([record])[["a", "b"]])[0]:
                    cost = sum(abs(changed[c] - record[c]) / scale[c] for c in columns)
                    best = min(best, cost)
    return best


def test_multiclass_target_and_no_flip_found() -> None:
    X, _ = _loans()
    y = np.digitize(X["income"], [40, 70])  # 0, 1, 2 by income
    model = LogisticRegression(max_iter=5000).fit(X[["income", "debt"]], y)
    record = {"income": 20.0, "debt": 10.0}
    found = counterfactual(model, record, X[["income", "debt"]], target=2)
    assert found.found and found.new_prediction == 2
    assert model.predict(pd.DataFrame([found.record]))[0] == 2
    assert list(found.changes) == ["income"]
    stuck = counterfactual(model, record, X[["income", "debt"]], mutable=["debt"], target=2)
    assert not stuck.found and stuck.record is None and stuck.distance is None
    assert "No change" in stuck.message and stuck.searched > 0


def test_automl_record_with_a_missing_value() -> None:
    X, y = _loans(200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoML(budget_s=2, seed=0, algorithms=["logistic"]).fit(X, y)
    record = {"income": 30.0, "age": 35, "job": "none"}  # debt missing
    found = counterfactual(model, record, X, immutable=["age", "job"])
    assert found.found and set(found.changes) <= {"income", "debt"}
    assert model.predict(pd.DataFrame([found.record]))[0] == found.new_prediction != "denied"


def test_bad_input_raises_evaluation_error() -> None:
    X, y = _loans(100)
    model = _pipeline(X, y)
    record = {"income": 30.0, "debt": 20.0, "age": 35, "job": "none"}
    with pytest.raises(EvaluationError, match=r"immutable names 'salary'.*Columns: income"):
        counterfactual(model, record, X, immutable=["salary"])
    with pytest.raises(EvaluationError, match="mutable names 'x'"):
        counterfactual(model, record, X, mutable=["x"])
    with pytest.raises(EvaluationError, match="target 'maybe' is not a class"):
        counterfactual(model, record, X, target="maybe")
    with pytest.raises(EvaluationError, match="max_changes must be 1 or 2"):
        counterfactual(model, record, X, max_changes=3)
    regressor = LinearRegression().fit(X[["income"]], X["debt"])
    with pytest.raises(EvaluationError, match="regressor"):
        counterfactual(regressor, {"income": 1.0}, X[["income"]])
    with pytest.raises(EvaluationError, match="lacks the model's input column"):
        counterfactual(model, record, X.drop(columns="debt"))

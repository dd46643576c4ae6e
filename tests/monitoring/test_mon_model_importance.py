"""Feature-importance drift and the worst slices of the current window."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor

from keel.errors import MonitoringError
from keel.monitoring import importance_drift


@pytest.fixture(scope="module")
def regression() -> tuple[RandomForestRegressor, pd.DataFrame]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1_500, 4)), columns=["a", "b", "c", "d"])
    model = RandomForestRegressor(n_estimators=25, max_depth=6, random_state=0)
    return model.fit(X, 3 * X["a"] + X["b"] + 0.1 * X["c"]), X


def test_shap_importance_moves_when_the_model_leans_on_other_features(regression) -> None:
    model, X = regression
    found = importance_drift(model, X, X.assign(a=0.1 * X["a"], b=3 * X["b"]), max_rows=400)
    assert found.method == "shap" and found.drifted and found.distance > 0.4
    assert found.top(1) == ["a"] and found.top(1, "current") == ["b"]
    assert next(iter(found.rank_changes())) in {"a", "b"}
    assert found.metrics()["importance.distance"] == found.distance
    assert found.slices == ()


def test_an_unchanged_window_is_not_flagged(regression) -> None:
    model, X = regression
    rng = np.random.default_rng(1)
    fresh = pd.DataFrame(rng.normal(size=(1_500, 4)), columns=["a", "b", "c", "d"])
    found = importance_drift(model, X, fresh, max_rows=400)
    assert not found.drifted and found.distance < 0.05
    assert found.top_k_overlap == 1.0 and found.rank_correlation > 0.7


def test_permutation_importance_with_labels_and_worst_slices() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(2_000, 3)), columns=["a", "b", "c"])
    X["plan"] = rng.choice([0, 1], size=2_000)
    y = (X["a"] + 0.5 * X["b"] > 0).astype(int)
    model = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X, y)
    current = X.sample(1_000, random_state=1).reset_index(drop=True)
    # On plan 1 the world changed: the label now follows c, which the model ignores.
    y_current = np.where(current["plan"] == 1, current["c"] > 0,
                         current["a"] + 0.5 * current["b"] > 0).astype(int)  # fmt: skip
    found = importance_drift(model, X, current, y_reference=y, y_current=y_current,
                             max_rows=1_000, n_repeats=3)  # fmt: skip
    assert found.method == "permutation"
    assert found.slices and found.slices[0].description.startswith("plan = 1")
    assert found.slices[0].error > 0.3
    out = json.loads(json.dumps(found.to_dict()))
    assert out["slices"][0]["features"][0] == "plan" and out["method"] == "permutation"


def test_settings_are_checked() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(MonitoringError, match="needs labels"):
        importance_drift(None, frame, frame, method="permutation")
    with pytest.raises(MonitoringError, match="must be one of"):
        importance_drift(None, frame, frame, method="gain")
    with pytest.raises(MonitoringError, match=r"in \(0, 1\)"):
        importance_drift(None, frame, frame, threshold=2)
